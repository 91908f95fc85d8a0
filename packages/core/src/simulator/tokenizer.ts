/**
 * The simulator's tokenizer and chat template. Not llama.cpp's vocabulary, but shaped like its SentencePiece
 * tokenizer (a space glued to the next word, a leading space on text that starts a fragment, digits one by one,
 * `<s>`/`</s>` as BOS/EOS) and deterministic. `/tokenize`, `/apply-template` and generation requests all count
 * with it, so a client that calibrates against the simulator hits exact sizes, as against a real server.
 */

export const BOS_ID = 1;
export const EOS_ID = 2;
const VOCAB = 32000;
/** Ids 3..258 are byte tokens in Llama's vocabulary; ours start above them. */
const FIRST_ID = 259;

export interface TokenizeOptions {
  /** Prepend BOS (llama-server `add_special`, default false). */
  addSpecial?: boolean;
  /** Read `<s>` / `</s>` in the text as BOS / EOS (llama-server `parse_special`, default true). */
  parseSpecial?: boolean;
}

/** A word with its leading space, one digit, one other character, or a lone whitespace character. */
const PIECE = /( ?)(\p{L}[\p{L}\p{M}]*|\p{N}|[^\s\p{L}\p{N}])|\s/gu;
const SPECIAL = /(<s>|<\/s>)/;

/** Token pieces of `text`, BOS/EOS as `<s>` / `</s>`. */
export function tokenPieces(text: string, options: TokenizeOptions = {}): string[] {
  const pieces = options.addSpecial ? ['<s>'] : [];
  const parseSpecial = options.parseSpecial ?? true;
  const fragments = parseSpecial ? text.split(SPECIAL) : [text];
  // SentencePiece adds a space in front of text that starts the input or follows a special token.
  let afterSpecial = true;
  for (const fragment of fragments) {
    if (parseSpecial && (fragment === '<s>' || fragment === '</s>')) {
      pieces.push(fragment);
      afterSpecial = true;
      continue;
    }
    if (fragment === '') continue;
    splitRaw(afterSpecial ? ` ${fragment}` : fragment, pieces);
    afterSpecial = false;
  }
  return pieces;
}

function splitRaw(text: string, out: string[]): void {
  for (const m of text.matchAll(PIECE)) {
    const body = m[2];
    if (body === undefined) {
      out.push(m[0]);
      continue;
    }
    const chars = Array.from(body);
    if (chars.length <= 6) {
      out.push(m[0]);
      continue;
    }
    // Long words: the first six letters, then pieces of four, as subword vocabularies roughly do.
    out.push(m[1] + chars.slice(0, 6).join(''));
    for (let i = 6; i < chars.length; i += 4) out.push(chars.slice(i, i + 4).join(''));
  }
}

/** Token ids of `text`. */
export function tokenizeText(text: string, options: TokenizeOptions = {}): number[] {
  return tokenPieces(text, options).map(pieceId);
}

/** Pieces seen so far by id, for `/detokenize` (bounded: a process-wide cache, not state). */
const PIECES = new Map<number, string>([
  [BOS_ID, '<s>'],
  [EOS_ID, '</s>'],
]);

/** The id of one piece: a stable hash into the vocabulary. */
export function pieceId(piece: string): number {
  if (piece === '<s>') return BOS_ID;
  if (piece === '</s>') return EOS_ID;
  let h = 0x811c9dc5;
  for (let i = 0; i < piece.length; i++) h = Math.imul(h ^ piece.charCodeAt(i), 0x01000193);
  const id = FIRST_ID + ((h >>> 0) % (VOCAB - FIRST_ID));
  if (PIECES.size < 200_000 && !PIECES.has(id)) PIECES.set(id, piece);
  return id;
}

/** Text of token ids this process has seen; unknown ids read as empty. */
export function detokenize(ids: readonly number[]): string {
  return ids.map((id) => PIECES.get(id) ?? '').join('');
}

/** A chat message as the simulator reads it: `content` may be a string or OpenAI text parts. */
export interface TemplateMessage {
  role: string;
  content?: unknown;
}

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p: unknown) =>
        p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '',
      )
      .join('');
  }
  return '';
}

/**
 * The Llama-2 `[INST]` template rendered as `/apply-template` returns it. Like llama.cpp, the leading `<s>`
 * the template writes is dropped, because tokenizing the prompt with `add_special` adds BOS again.
 */
export function applyTemplate(messages: readonly TemplateMessage[]): string {
  let system: string | undefined;
  let rest = messages;
  if (messages[0]?.role === 'system') {
    system = text(messages[0].content);
    rest = messages.slice(1);
  }
  let out = '';
  rest.forEach((m, i) => {
    const body = i === 0 && system !== undefined ? `<<SYS>>\n${system}\n<</SYS>>\n\n${text(m.content)}` : text(m.content);
    if (m.role === 'user') out += `<s>[INST] ${body.trim()} [/INST]`;
    else if (m.role === 'assistant') out += ` ${body.trim()} </s>`;
  });
  return out.startsWith('<s>') ? out.slice(3) : out;
}

/** Tokens a chat request's prompt has: the template, then BOS and special tokens, as llama-server counts. */
export function chatPromptTokens(messages: readonly TemplateMessage[]): number[] {
  return tokenizeText(applyTemplate(messages), { addSpecial: true, parseSpecial: true });
}

/** The Jinja source of that template, reported in `/props` (as recorded from llama-server). */
export const CHAT_TEMPLATE =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";
