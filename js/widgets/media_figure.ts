// Histograms over steps as TensorBoard's "offset" view draws them: one curve per step, the
// oldest at the back (top) and the newest in front (bottom), each filled with the background
// so it hides the ones behind; the chosen step drawn on top in the run's full colour.

import { plotlyText } from "../shared/dom";
import { type Theme, themeAxis, themeLayout } from "../shared/theme";
import type { Figure } from "../shared/types";
import type { Histogram, HistogramSeries } from "./media_types";

// The tallest curve spans this many step gaps, or this share of all the steps if more: a
// few steps overlap a little, many (TensorBoard's look) overlap a lot.
const RIDGE_GAPS = 2.5;
const RIDGE_SHARE = 0.2;

/** `#rrggbb` at `alpha`; other colour strings are returned unchanged. */
export function withAlpha(color: string, alpha: number): string {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!match) return color;
  const [r, g, b] = match.slice(1).map((hex) => Number.parseInt(hex, 16));
  return `rgba(${r},${g},${b},${alpha})`;
}

/** The outline of a histogram as a closed curve through its bin centres, at `base`. */
function outline(edges: number[], counts: number[], base: number, scale: number): { x: number[]; y: number[] } {
  const x = [edges[0]];
  const y = [base];
  for (let i = 0; i < counts.length; i++) {
    x.push((edges[i] + edges[i + 1]) / 2);
    y.push(base - counts[i] * scale); // the y axis is reversed: up the page is a smaller step
  }
  x.push(edges[edges.length - 1]);
  y.push(base);
  return { x, y };
}

/** The values every histogram given spans: one x range for runs shown side by side. */
export function valueRange(histograms: { edges: number[] }[]): [number, number] | null {
  let low = Infinity;
  let high = -Infinity;
  for (const { edges } of histograms) {
    if (!edges.length) continue;
    low = Math.min(low, edges[0]);
    high = Math.max(high, edges[edges.length - 1]);
  }
  return low <= high ? [low, high] : null;
}

/**
 * A run's histograms over steps, with `chosen` (the slider's step) highlighted.
 * `color` is the run's colour (runColor); `xRange`, when given, the x axis's range.
 */
export function buildRidgeline(
  series: HistogramSeries,
  chosen: { step: number; histogram: Histogram } | null,
  color: string,
  theme: Theme,
  xRange: [number, number] | null = null,
): Figure {
  const steps = series.steps;
  const span = steps.length > 1 ? steps[steps.length - 1] - steps[0] : 1;
  const gap = steps.length > 1 ? span / (steps.length - 1) : 1;
  let peak = 1;
  for (const counts of series.counts) for (const count of counts) peak = Math.max(peak, count);
  if (chosen) for (const count of chosen.histogram.counts) peak = Math.max(peak, count);
  const scale = Math.max(gap * RIDGE_GAPS, span * RIDGE_SHARE) / peak;
  const data: Record<string, unknown>[] = steps.map((step, i) => {
    const { x, y } = outline(series.edges[i], series.counts[i], step, scale);
    const age = steps.length > 1 ? i / (steps.length - 1) : 1; // 0 oldest .. 1 newest
    return {
      type: "scatter",
      mode: "lines",
      x,
      y,
      fill: "toself",
      fillcolor: theme.background,
      line: { color: withAlpha(color, 0.25 + 0.6 * age), width: 1 },
      hoverinfo: "skip",
      showlegend: false,
    };
  });
  if (chosen) {
    const { edges, counts } = chosen.histogram;
    const { x, y } = outline(edges, counts, chosen.step, scale);
    data.push({
      type: "scatter",
      mode: "lines",
      name: `step ${chosen.step}`,
      x,
      y,
      customdata: [0, ...counts, 0],
      line: { color, width: 2.5 },
      hovertemplate: `${plotlyText(`step ${chosen.step}`)}<br>%{x:.4g}: %{customdata}<extra></extra>`,
      showlegend: false,
    });
  }
  const axis = themeAxis(theme);
  return {
    data,
    layout: {
      ...themeLayout(theme),
      margin: { l: 8, r: 48, t: 8, b: 32 },
      height: 260,
      hovermode: "closest",
      xaxis: { ...axis, zeroline: false, ...(xRange ? { range: xRange, autorange: false } : {}) },
      yaxis: {
        ...axis,
        autorange: "reversed",
        side: "right",
        zeroline: false,
        title: { text: "step", font: { color: theme.muted } },
      },
    },
  };
}
