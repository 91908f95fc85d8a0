/**
 * The simulator's tokenizer and chat template. Not llama.cpp's, but deterministic and consistent across
 * `/tokenize`, `/apply-template` and generation requests, so a client that calibrates against it hits exact
 * sizes, as it would against a real server.
 */
import type { ChatMessage } from '../transport/transport.js';

export const BOS_ID = 1;
export const EOS_ID = 2;
const VOCAB = 32000;

/** Pieces: a word or number run with its leading space, or one other character; long words split in four. */
const PIECE = /<s>|<\/s>| ?[A-Za-z]{1,4}| ?\d| ?[^\sA-Za-z\d]|\s/g;

export interface TokenizeOptions {
  /** Prepend BOS (llama-server `add_special`). */
  addSpecial?: boolean;
  /** Read `<s>` / `</s>` in the text as BOS / EOS (llama-server `parse_special`). */
  parseSpecial?: boolean;
}

/** Token pieces of `text`, BOS/EOS as `<s>` / `</s>`. */
export function tokenPieces(text: string, options: TokenizeOptions = {}): string[] {
  const pieces = options.addSpecial ? ['<s>'] : [];
  for (const match of text.matchAll(PIECE)) {
    const piece = match[0];
    if ((piece === '<s>' || piece === '</s>') && !options.parseSpecial) pieces.push(...piece.split(''));
    else pieces.push(piece);
  }
  return pieces;
}

/** Token ids of `text`. */
export function tokenizeText(text: string, options: TokenizeOptions = {}): number[] {
  return tokenPieces(text, options).map(pieceId);
}

/** Pieces seen so far by id, for `/detokenize`. */
const PIECES = new Map<number, string>([
  [BOS_ID, '<s>'],
  [EOS_ID, '</s>'],
]);

export function pieceId(piece: string): number {
  if (piece === '<s>') return BOS_ID;
  if (piece === '</s>') return EOS_ID;
  let h = 2166136261;
  for (let i = 0; i < piece.length; i++) h = Math.imul(h ^ piece.charCodeAt(i), 16777619);
  const id = 3 + ((h >>> 0) % (VOCAB - 3));
  if (PIECES.size < 100_000) PIECES.set(id, piece);
  return id;
}

/** Text of token ids this process has produced; unknown ids read as empty. */
export function detokenize(ids: number[]): string {
  return ids.map((id) => PIECES.get(id) ?? '').join('');
}

/** The Llama-2 `[INST]` chat template, as llama-server's `/apply-template` renders it. */
export function applyTemplate(messages: ChatMessage[]): string {
  let system: string | undefined;
  let rest = messages;
  if (messages[0]?.role === 'system') {
    system = messages[0].content;
    rest = messages.slice(1);
  }
  let out = '';
  rest.forEach((m, i) => {
    const content = i === 0 && system !== undefined ? `<<SYS>>\n${system}\n<</SYS>>\n\n${m.content}` : m.content;
    if (m.role === 'user') out += `<s>[INST] ${content.trim()} [/INST]`;
    else if (m.role === 'assistant') out += ` ${content.trim()} </s>`;
  });
  return out;
}

/** The Jinja source of that template, reported in `/props`. */
export const CHAT_TEMPLATE =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";
