/**
 * `@swapbench/http/report`: one self-contained HTML page for a run — the chart code, the stylesheet and the
 * data inline — that opens offline from a file. Loads no Fastify: `swapbench report` imports only this.
 */
import type { CompareResult, RunResult } from '@swapbench/core';
import { readAsset } from './assets.js';

export interface ReportInput {
  run: RunResult;
  /** The run compared with `baseline`, or null when there is none. */
  comparison: CompareResult | null;
  baseline: { name: string; runId: string } | null;
}

/**
 * The page as a string. Its Content-Security-Policy lets nothing load from anywhere (`default-src 'none'`),
 * so opening it never touches the network.
 */
export async function renderReportHtml(input: ReportInput): Promise<string> {
  const [script, css] = await Promise.all([readAsset('report.global.js'), readAsset('report.css')]);
  const title = `swapbench report: ${input.run.suite.name} (${input.run.runId.slice(0, 8)})`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>
<body>
<script type="application/json" id="swapbench-data">${inlineJson(input)}</script>
<script>${script.replace(/<\/script/gi, '<\\/script')}</script>
</body>
</html>
`;
}

/** JSON safe inside a <script> element: `<` escaped, so no `</script>` or `<!--` in the data can end it. */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
