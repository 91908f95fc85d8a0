/** A number with fixed decimals, or `-` when there is nothing to show. */
export function num(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

/** What `--format` may ask for. `table` is the terminal report; `json` the RunResult as stored. */
export const REPORT_FORMATS = ['table', 'json', 'md', 'csv', 'llama-bench'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** `line` broken at spaces into lines of at most `width` characters; continuation lines start with `indent`. */
export function wrap(line: string, width: number, indent: string): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    const cut = rest.lastIndexOf(' ', width);
    if (cut <= indent.length) break;
    out.push(rest.slice(0, cut));
    rest = indent + rest.slice(cut + 1);
  }
  out.push(rest);
  return out;
}
