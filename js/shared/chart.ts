// Line charts of metric series (metric_chart, compare): state in, Plotly figure out.

import { toFloat64 } from "./buffers";
import { runColor } from "./colors";
import { plotlyText } from "./dom";
import { ema } from "./ema";
import { formatCount } from "./format";
import { type Theme, themeAxis, themeLayout } from "./theme";
import type { Figure, Series, XAxis } from "./types";

/** Above this many points a line is drawn with WebGL (scattergl) instead of SVG. */
export const GL_THRESHOLD = 5000;

export interface ChartOptions {
  metrics: string[];
  xAxis: XAxis;
  smoothing: number;
  logY: boolean;
}

const X_TITLES: Record<XAxis, string> = { step: "step", relative: "time since start (s)", wall: "time" };
const X_HOVER: Record<XAxis, string> = { step: "%{x}", relative: "%{x:.1f}s", wall: "%{x|%Y-%m-%d %H:%M:%S}" };
/** The farthest from the epoch a JavaScript Date reaches, in ms: wall times beyond it are plain numbers. */
export const DATE_LIMIT_MS = 8.64e15;

/** Metrics to draw, in the order asked for, then any other metric the series carry. */
export function metricOrder(series: Series[], metrics: string[]): string[] {
  const present = new Set(series.map((s) => s.metric));
  const order = metrics.filter((m) => present.has(m));
  for (const s of series) if (!order.includes(s.metric)) order.push(s.metric);
  return order;
}

/** One colour per run, the same in every widget (runColor hashes the id; no order matters). */
export function runColors(series: Series[]): Map<string, string> {
  return new Map(series.map((s) => [s.run_id, runColor(s.run_id)]));
}

/** "2 of 5 curves are downsampled (up to 120,000 points each)", or "" when none is. */
export function downsampleNote(series: Series[]): string {
  const reduced = series.filter((s) => s.total_points > s.points);
  if (!reduced.length) return "";
  const most = Math.max(...reduced.map((s) => s.total_points));
  const which =
    reduced.length === series.length ? "All curves are" : `${reduced.length} of ${series.length} curves are`;
  return `${which} downsampled for drawing (from up to ${formatCount(most)} points); spikes and dips are kept.`;
}

/** Subplots stacked vertically, one per metric, sharing the x axis; one legend entry per run. */
export function buildLineFigure(series: Series[], options: ChartOptions, theme: Theme): Figure {
  const metrics = metricOrder(series, options.metrics);
  const colors = runColors(series);
  const smoothing = options.smoothing > 0 ? Math.min(options.smoothing, 0.999) : 0;
  const inLegend = new Set<string>();
  const data: Record<string, unknown>[] = [];
  const xs = series.map((s) => toFloat64(s.x));
  const dates =
    options.xAxis === "wall" && xs.every((x) => x.every((v) => Math.abs(v) <= DATE_LIMIT_MS || Number.isNaN(v)));
  const xTitle = options.xAxis === "wall" && !dates ? "time (ms since the epoch)" : X_TITLES[options.xAxis];

  for (const [i, s] of series.entries()) {
    const row = metrics.indexOf(s.metric);
    const x = xs[i];
    const y = toFloat64(s.y);
    // Beyond 2**53 the float64 x is rounded: hover shows the exact integer the kernel sent.
    const exact = s.x_exact ?? null;
    const xHover = exact ? "%{customdata}" : options.xAxis === "wall" && !dates ? "%{x}" : X_HOVER[options.xAxis];
    const note = s.total_points > s.points ? `<br>(downsampled from ${formatCount(s.total_points)} points)` : "";
    const showLegend = !inLegend.has(s.run_id);
    inLegend.add(s.run_id);
    const base = {
      type: s.points > GL_THRESHOLD ? "scattergl" : "scatter",
      mode: "lines",
      x,
      xaxis: "x",
      yaxis: row === 0 ? "y" : `y${row + 1}`,
      name: plotlyText(s.run_name),
      legendgroup: s.run_id,
      line: { color: colors.get(s.run_id), width: 1.6 },
      // User strings go in through meta: text inside a hovertemplate would be parsed for %{...}.
      meta: [plotlyText(s.metric), note, smoothing ? "smoothed" : "value"],
      ...(exact ? { customdata: exact } : {}),
      hovertemplate: `<b>%{fullData.name}</b><br>%{meta[0]}<br>${xTitle}: ${xHover}<br>%{meta[2]}: %{y:.5g}%{meta[1]}<extra></extra>`,
    };
    if (smoothing) {
      data.push({
        ...base,
        y,
        opacity: 0.25,
        showlegend: false,
        hoverinfo: "skip",
        hovertemplate: undefined,
        line: { ...base.line, width: 1 },
      });
      data.push({ ...base, y: ema(y, smoothing), showlegend: showLegend });
    } else {
      data.push({ ...base, y, showlegend: showLegend });
    }
  }

  const axis = themeAxis(theme);
  const rows = Math.max(1, metrics.length);
  const layout: Record<string, unknown> = {
    ...themeLayout(theme),
    height: rows === 1 ? 360 : 90 + 210 * rows,
    margin: { l: 64, r: 16, t: 16, b: 48 },
    hovermode: "closest",
    showlegend: true,
    // Keep the user's zoom across live updates; a new x axis or scale starts fresh.
    uirevision: `${options.xAxis}|${options.logY}`,
    xaxis: { ...axis, type: dates ? "date" : "linear", title: { ...(axis.title as object), text: xTitle } },
  };
  if (rows > 1) layout.grid = { rows, columns: 1, pattern: "coupled", roworder: "top to bottom", ygap: 0.12 };
  metrics.forEach((metric, i) => {
    layout[i === 0 ? "yaxis" : `yaxis${i + 1}`] = {
      ...axis,
      type: options.logY ? "log" : "linear",
      title: { ...(axis.title as object), text: plotlyText(metric) },
      automargin: true,
    };
  });
  return { data, layout };
}
