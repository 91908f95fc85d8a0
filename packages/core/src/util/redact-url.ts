/**
 * Hide the secrets a URL may carry before it is printed, stored or returned: the credentials before `@`
 * (`http://user:s3cret@host:8080/v1` → `http://***@host:8080/v1`) and the value of every query parameter
 * (`?api_key=abc` → `?api_key=***`). A string that does not parse as a URL is redacted more widely: all of
 * it up to its last `@`, because where its credentials end cannot be known. Anything else is returned as is.
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:[/\\]+/i.exec(url)?.[0] ?? '';
  const rest = url.slice(scheme.length);
  // In a URL that parses, the authority ends where its parser ends it; otherwise take the whole string.
  const end = scheme && URL.canParse(url) ? rest.search(/[/?#\\]/) : -1;
  const at = (end === -1 ? rest : rest.slice(0, end)).lastIndexOf('@');
  const redacted = at === -1 ? url : `${scheme}***${rest.slice(at)}`;
  const query = redacted.indexOf('?');
  if (query === -1) return redacted;
  const hash = redacted.indexOf('#', query);
  const head = redacted.slice(0, query);
  const tail = hash === -1 ? '' : redacted.slice(hash);
  const params = redacted.slice(query, hash === -1 ? undefined : hash);
  return `${head}${params.replace(/([?&][^=&]*=)[^&]*/g, '$1***')}${tail}`;
}

/** `redactUrl` applied to every `scheme://…` in a text, e.g. an error message about to be printed. */
export function redactUrlsIn(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi, (url) => {
    // Punctuation that ends a clause (`store postgres://…?schema=x: refused`) is the text's, not the URL's.
    const tail = /[:;,.!?)\]]+$/.exec(url)?.[0] ?? '';
    return redactUrl(url.slice(0, url.length - tail.length)) + tail;
  });
}
