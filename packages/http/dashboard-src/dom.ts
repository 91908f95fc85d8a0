/** A few DOM helpers: the dashboard and the report build their pages with these, no framework. */

type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;
type Child = Node | string | number | null | undefined | false;

/** `h('button', { class: 'x', onclick: fn }, 'text')`: an element with attributes, handlers and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children) append(el, child);
  return el;
}

export function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
}

/** Replace every child of `el`. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  for (const child of children) append(el, child);
}

/** A number for a table: `—` for none, else at most `digits` decimals. */
export function num(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** A relative change as `+12.3%`. */
export function pct(change: number | null | undefined): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return '—';
  return `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}%`;
}
