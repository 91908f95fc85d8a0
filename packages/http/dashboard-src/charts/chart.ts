/**
 * A line chart on uPlot with the defaults every swapbench chart shares: points always drawn (a grid often has
 * one or two x values), a legend, a fixed palette. Shared by the dashboard and the HTML report.
 */
import uPlot from 'uplot';

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563', '#65a30d', '#9333ea'];

export interface LineSeries {
  label: string;
  /** One value per x, null where the series has none. */
  values: (number | null)[];
  color?: string;
  /** Drawn as points only (flags, regressions). */
  pointsOnly?: boolean;
  dash?: number[];
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  x: number[];
  series: LineSeries[];
  /** `time`: x is Unix seconds; `log2`: x on a log2 scale (concurrency, prompt sizes). */
  xScale?: 'linear' | 'log2' | 'time';
  /** Tick labels for x (the ITL distribution's percentiles). */
  xTicks?: (x: number) => string;
  width?: number;
  height?: number;
}

/** Draw `spec` into a new element appended to `parent`; returns the chart (its canvas is `chart.ctx.canvas`). */
export function lineChart(parent: HTMLElement, spec: LineChartSpec): uPlot {
  const holder = document.createElement('div');
  holder.className = 'chart';
  parent.appendChild(holder);
  const width = spec.width ?? Math.max(320, Math.min(560, parent.clientWidth || 560));
  const log = spec.xScale === 'log2' && spec.x.every((v) => v > 0);
  const xTicks = spec.xTicks;
  const opts: uPlot.Options = {
    title: spec.title,
    width,
    height: spec.height ?? 240,
    scales: { x: { time: spec.xScale === 'time', ...(log ? { distr: 3, log: 2 } : {}) } },
    axes: [
      {
        label: spec.xLabel,
        ...(log || xTicks ? { splits: () => spec.x } : {}),
        ...(xTicks ? { values: (_u: uPlot, splits: number[]) => splits.map(xTicks) } : {}),
      },
      { label: spec.yLabel, size: 60 },
    ],
    series: [
      { label: spec.xLabel },
      ...spec.series.map((s, i) => {
        const stroke = s.color ?? PALETTE[i % PALETTE.length]!;
        return {
          label: s.label,
          stroke,
          width: s.pointsOnly ? 0 : 2,
          spanGaps: true,
          ...(s.dash ? { dash: s.dash } : {}),
          points: { show: true, size: s.pointsOnly ? 10 : 6, fill: stroke, stroke },
        } satisfies uPlot.Series;
      }),
    ],
  };
  const data = [spec.x, ...spec.series.map((s) => s.values)] as uPlot.AlignedData;
  return new uPlot(opts, data, holder);
}

/** Sorted distinct values. */
export function distinct(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}
