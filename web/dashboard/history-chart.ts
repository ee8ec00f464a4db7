import uPlot from 'uplot';
import { el } from './dom.js';
import type { HistoryPoint } from './queries.js';

/** One line of a chart: how to read it from a history point and how to print its values. */
export interface SeriesSpec {
  label: string;
  color: string;
  value: (point: HistoryPoint) => number | null;
  /** The y scale it is drawn against; a second scale gets its own axis on the right. */
  scale?: string;
}

export interface ChartSpec {
  id: string;
  title: string;
  series: SeriesSpec[];
  /** Prints a value of each scale, on its axis and in the legend. */
  format: Record<string, (value: number | null) => string>;
  /** Lower bound of each scale, e.g. 0 for rates (uPlot otherwise fits the range to the data). */
  min?: Record<string, number>;
  /** Upper bound, e.g. 100 for percentages. */
  max?: Record<string, number>;
}

const HEIGHT = 170;

function showLatestWhenIdle(plot: uPlot): void {
  const points = plot.data[0].length;
  if (plot.cursor.idx === null || plot.cursor.idx === undefined) {
    if (points) plot.setLegend({ idx: points - 1 }, false);
  }
}

/**
 * A uPlot time-series chart over Metrics.history. Built on the first data (uPlot needs its
 * width), resized with its card, and redrawn in place: `update` swaps the data in one
 * synchronous batch and returns how long the redraw took.
 */
export class HistoryChart {
  readonly element: HTMLElement;
  plot: uPlot | null = null;
  private readonly canvasBox: HTMLElement;

  constructor(readonly spec: ChartSpec) {
    this.canvasBox = el('div', { className: 'chart-canvas' });
    this.element = el('figure', { className: 'chart', id: `chart-${spec.id}` }, el('figcaption', {}, spec.title), this.canvasBox);
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: HEIGHT })).observe(this.canvasBox);
  }

  /** Aligned columns: times in seconds, then one array per series (null = no value in that step). */
  dataOf(points: HistoryPoint[]): uPlot.AlignedData {
    return [points.map((p) => Date.parse(p.at) / 1000), ...this.spec.series.map((s) => points.map((p) => s.value(p)))];
  }

  /** Redraws with `data`; returns the milliseconds the redraw took (setData and the drawing, synchronously). */
  setData(data: uPlot.AlignedData): number {
    const started = performance.now();
    if (!this.plot) this.plot = new uPlot(this.options(), data, this.canvasBox);
    else {
      const plot = this.plot;
      // batch(): drawn now, not in a microtask, so the time measured is the whole redraw.
      plot.batch(() => plot.setData(data));
    }
    return performance.now() - started;
  }

  update(points: HistoryPoint[]): number {
    return this.setData(this.dataOf(points));
  }

  private width(): number {
    return Math.max(240, this.canvasBox.clientWidth);
  }

  private options(): uPlot.Options {
    const { spec } = this;
    const scales = [...new Set(spec.series.map((s) => s.scale ?? 'y'))];
    const range =
      (scale: string): uPlot.Range.Function =>
      (_u, dataMin, dataMax) => {
        const min = spec.min?.[scale] ?? dataMin ?? 0;
        // A flat series (all zeros: no job finished) still gets a readable 0..1 axis.
        const max = spec.max?.[scale] ?? (dataMax !== null && dataMax > min ? dataMax * 1.1 : min + 1);
        return [Math.min(min, dataMin ?? min), Math.max(max, dataMax ?? max)];
      };
    const formatOf = (scale: string) => spec.format[scale] ?? ((value: number | null) => String(value ?? '–'));
    return {
      width: this.width(),
      height: HEIGHT,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      // Away from the cursor the legend shows the latest values instead of dashes.
      hooks: { setCursor: [showLatestWhenIdle], setData: [showLatestWhenIdle] },
      scales: Object.fromEntries([['x', { time: true }], ...scales.map((scale) => [scale, { range: range(scale) }])]),
      axes: [
        // Time labels need more room than uPlot's default spacing when a right axis narrows the chart.
        { stroke: '#5b6474', space: 70, grid: { stroke: '#eef0f4' }, ticks: { stroke: '#eef0f4' } },
        ...scales.map((scale, index): uPlot.Axis => ({
          scale,
          side: index === 0 ? 3 : 1,
          stroke: '#5b6474',
          size: 64,
          grid: { show: index === 0, stroke: '#eef0f4' },
          ticks: { stroke: '#eef0f4' },
          values: (_u, splits) => splits.map((value) => formatOf(scale)(value)),
        })),
      ],
      series: [
        {},
        ...spec.series.map((s): uPlot.Series => ({
          label: s.label,
          scale: s.scale ?? 'y',
          stroke: s.color,
          width: 1.5,
          fill: spec.series.length === 1 ? `${s.color}22` : undefined,
          // uPlot's default: dots only while points are sparse (a young history), lines alone after.
          spanGaps: false,
          value: (_u, value) => formatOf(s.scale ?? 'y')(value),
        })),
      ],
    };
  }
}
