/**
 * The HTML report's script: the run, its comparison and baseline are inline JSON in the page
 * (`<script type="application/json" id="swapbench-data">`), drawn with the same code as the dashboard.
 */
import 'uplot/dist/uPlot.min.css';
import '../style.css';
import { type RunResultsInput, renderRunResults } from '../charts/run-results.js';
import { h } from '../dom.js';

const data = JSON.parse(document.getElementById('swapbench-data')?.textContent ?? 'null') as RunResultsInput | null;
const main = h('main', { id: 'report' });
document.body.append(main);
if (data) renderRunResults(main, data);
else main.append(h('p', { class: 'error' }, 'This report holds no run data.'));
main.append(h('p', { class: 'muted' }, 'Written by swapbench report; opens offline.'));
