// lt.parallel(): state in, Plotly parcoords figure out, and brushes -> selected runs. Pure (no
// DOM, no Plotly), so it is tested without drawing, and the report draws the same figure.

import { plotlyText } from "../shared/dom";
import { sequentialScale, type Theme, textHalo, themeLayout } from "../shared/theme";
import type { Cell, Figure } from "../shared/types";

/** An axis of src/labtrack/widgets/contract.py's ParallelState. */
export interface ParallelAxis {
  name: string;
  label: string;
  kind: "number" | "category";
  values: Cell[];
}

export interface ParallelState {
  params: string[];
  metric: string;
  runs: { run_id: string[]; run_name: string[] };
  axes: ParallelAxis[];
  selected: string[];
  empty_message: string;
}

/** A brush on one axis, as Plotly keeps it in `constraintrange`: one range or several. */
export type Brush = [number, number] | [number, number][];

export interface Dimension {
  label: string;
  values: number[];
  tickvals?: number[];
  ticktext?: string[];
  range?: [number, number];
  constraintrange?: Brush;
}

const MISSING = "(none)";
// Selected runs' colours sit above this point of the colour scale; the others below, grey.
const FADED_UPTO = 0.12;

/** An axis's values as Plotly wants them: numbers as they are, text as category indices
 * labelled by tick text (sorted, with "(none)" for runs without a value). */
export function dimensionOf(label: string, kind: "number" | "category", values: Cell[]): Dimension {
  const text = plotlyText(label);
  if (kind === "number") {
    const numbers = values.map((v) => (typeof v === "number" ? v : v === null ? NaN : Number(v)));
    return logDimension(text, numbers) ?? { label: text, values: numbers };
  }
  const categories = [...new Set(values.map((v) => (v === null ? MISSING : String(v))))].sort();
  const index = new Map(categories.map((c, i) => [c, i]));
  return {
    label: text,
    // biome-ignore lint/style/noNonNullAssertion: categories holds every value, so each one has an index.
    values: values.map((v) => index.get(v === null ? MISSING : String(v))!),
    tickvals: categories.map((_, i) => i),
    ticktext: categories.map(plotlyText),
    range: categories.length > 1 ? [0, categories.length - 1] : [-1, 1],
  };
}

// Positive values spanning this many powers of ten (a learning rate from 1e-5 to 1e-1) are
// drawn on a log axis; on a linear one all but the largest would crowd at its bottom.
const LOG_DECADES = 2;

function powerLabel(power: number): string {
  return power >= -3 && power <= 4 ? String(10 ** power) : `1e${power}`;
}

/** A log10 axis labelled in the values' own units, or null when a linear one reads fine. */
function logDimension(label: string, values: number[]): Dimension | null {
  const present = values.filter(Number.isFinite);
  if (!present.length || present.some((v) => v <= 0)) return null;
  const low = Math.log10(Math.min(...present));
  const high = Math.log10(Math.max(...present));
  if (high - low < LOG_DECADES) return null;
  const ticks: [number, string][] = [];
  for (let p = Math.ceil(low); p <= Math.floor(high); p++) ticks.push([p, powerLabel(p)]);
  // The ends too, as a linear axis labels them: Plotly draws the axis line only between the
  // outer ticks it is given.
  const end = (power: number): [number, string] => [power, String(Number((10 ** power).toPrecision(2)))];
  if (ticks[0]?.[0] !== low) ticks.unshift(end(low));
  if (ticks[ticks.length - 1]?.[0] !== high) ticks.push(end(high));
  return {
    label: `${label} (log)`,
    values: values.map((v) => (Number.isFinite(v) && v > 0 ? Math.log10(v) : NaN)),
    tickvals: ticks.map(([v]) => v),
    ticktext: ticks.map(([, text]) => text),
    range: [low, high],
  };
}

function ranges(brush: Brush): [number, number][] {
  return typeof brush[0] === "number" ? [brush as [number, number]] : (brush as [number, number][]);
}

function inside(value: number, brush: Brush): boolean {
  return ranges(brush).some(([a, b]) => value >= Math.min(a, b) && value <= Math.max(a, b));
}

/** The brushes Plotly holds, axis by axis (its `dimensions[i].constraintrange`). */
export function brushesOf(dimensions: { constraintrange?: Brush | null }[] | undefined): (Brush | null)[] {
  return (dimensions ?? []).map((d) => (d.constraintrange?.length ? d.constraintrange : null));
}

/** The runs inside every brush, in the runs' order; none when no axis is brushed. */
export function runsInBrushes(state: ParallelState, brushes: (Brush | null)[]): string[] {
  const dims = state.axes.map((a) => dimensionOf(a.label, a.kind, a.values));
  const active = brushes.map((b, i) => [b, dims[i]] as const).filter(([b, d]) => b !== null && d !== undefined);
  if (!active.length) return [];
  return state.runs.run_id.filter((_, row) =>
    // biome-ignore lint/style/noNonNullAssertion: filtered above.
    active.every(([brush, dim]) => inside(dim!.values[row] ?? NaN, brush!)),
  );
}

/** Whether `selected` is the very set the brushes pick (then the brushes stay drawn). */
export function sameRuns(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}

type Stop = [number, string];

/** A colour scale whose low end (up to FADED_UPTO) is the faded grey of unselected runs and
 * whose rest is `scale`; used to show a selection made elsewhere (the table, a scatter). */
function withFadedLowEnd(scale: string | Stop[], grey: string): Stop[] {
  const stops: Stop[] = typeof scale === "string" ? VIRIDIS_STOPS : scale;
  const span = 1 - FADED_UPTO - 0.01;
  return [
    [0, grey],
    [FADED_UPTO, grey],
    ...stops.map(([v, c]): Stop => [Number((FADED_UPTO + 0.01 + v * span).toFixed(4)), c]),
  ];
}

const VIRIDIS_STOPS: Stop[] = [
  [0, "#440154"],
  [0.25, "#3b528b"],
  [0.5, "#21918c"],
  [0.75, "#5ec962"],
  [1, "#fde725"],
];

/**
 * The figure: one dimension per axis (params, then the metric), lines coloured by the metric.
 * `brushes` are the ranges the user drew (kept across redraws). When runs are selected and no
 * brush picked them (a click in the table), they keep their colour and the others turn grey.
 */
export function parallelFigure(state: ParallelState, theme: Theme, brushes: (Brush | null)[] = []): Figure | null {
  const count = state.runs.run_id.length;
  if (!count || state.axes.length < 2) return null;
  const dimensions = state.axes.map((axis, i): Dimension => {
    const dim = dimensionOf(axis.label, axis.kind, axis.values);
    const brush = brushes[i];
    return brush ? { ...dim, constraintrange: brush } : dim;
  });
  const metricAxis = state.axes[state.axes.length - 1] as ParallelAxis;
  const metric = (dimensions[dimensions.length - 1] as Dimension).values;
  const present = metric.filter(Number.isFinite);
  const low = present.length ? Math.min(...present) : 0;
  const high = present.length ? Math.max(...present) : 1;
  const brushed = brushes.some((b) => b !== null);
  const selected = new Set(state.selected);
  const highlight = !brushed && state.runs.run_id.some((id) => selected.has(id));
  const grey = theme.dark ? "#4a4a4a" : "#d0d0d0";
  const scale = sequentialScale(theme);
  let line: Record<string, unknown>;
  if (highlight) {
    const unit = (v: number) => (high > low ? (v - low) / (high - low) : 1);
    const span = 1 - FADED_UPTO - 0.01;
    line = {
      color: state.runs.run_id.map((id, i) =>
        selected.has(id) ? FADED_UPTO + 0.01 + unit(metric[i] ?? low) * span : 0,
      ),
      colorscale: withFadedLowEnd(scale, grey),
      cmin: 0,
      cmax: 1,
      showscale: false,
    };
  } else {
    line = {
      color: metric,
      colorscale: scale,
      cmin: low,
      cmax: high,
      showscale: true,
      colorbar: {
        title: { text: plotlyText(metricAxis.label), font: { color: theme.text } },
        tickfont: { color: theme.muted },
        outlinewidth: 0,
      },
    };
  }
  return {
    data: [
      {
        type: "parcoords",
        dimensions,
        line,
        // Brushed-out runs: the same faded grey as runs left out of a selection made elsewhere.
        unselected: { line: { color: grey, opacity: 0.5 } },
        labelfont: { color: theme.text },
        // Plotly's automatic tick-label halo is a grey glow on a dark background: use the page's.
        tickfont: { color: theme.muted, shadow: textHalo(theme) },
        rangefont: { color: theme.muted },
        labelangle: dimensions.length > 6 ? -20 : 0,
      },
    ],
    layout: {
      ...themeLayout(theme),
      height: 380,
      margin: { l: 64, r: 64, t: 64, b: 24 },
      // Keep brushes and axis order across redraws of the same axes.
      uirevision: state.axes.map((a) => a.name).join("|"),
    },
  };
}
