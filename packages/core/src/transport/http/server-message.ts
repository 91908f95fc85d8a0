/**
 * The human-readable message inside a server's error body, whatever shape the server wraps it in: what an
 * error shows the user instead of the raw body.
 */

/**
 * The message in an error body: `{error: {message}}` (OpenAI, llama.cpp), `{error: "…"}` (llama-swap,
 * Ollama), `{message}`, `{detail}` (FastAPI servers such as vLLM); else the start of the plain text.
 */
export function serverMessage(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as { error?: unknown; message?: unknown; detail?: unknown } | null;
    if (typeof json?.error === 'string') return json.error;
    if (json?.error && typeof (json.error as { message?: unknown }).message === 'string')
      return (json.error as { message: string }).message;
    if (typeof json?.message === 'string') return json.message;
    if (typeof json?.detail === 'string') return json.detail;
  } catch {
    // Not JSON: proxies and some servers answer plain text. Or JSON cut at the kept length of a huge body,
    // whose message usually comes first: read it out of the text.
    const cut = /^\s*\{[\s\S]*?"(?:message|error|detail)"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(body);
    if (cut) return unescapeJson(cut[1]!);
  }
  const text = body.trim();
  return text ? text.slice(0, 300) : undefined;
}

/** A JSON string's content as text; its escapes as they are if it does not parse. */
function unescapeJson(content: string): string {
  try {
    return JSON.parse(`"${content}"`) as string;
  } catch {
    return content;
  }
}
