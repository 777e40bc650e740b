// A deployment's drift over time (lt.monitor()): state in, Plotly figure out. Pure (no DOM, no
// Plotly), so it is tested without drawing. Rows sharing the time axis: PSI per feature with the
// PSI threshold, the two-sample test's p-values (log axis) with theirs, and the live accuracy
// where labels came back. Windows where a feature drifted are shaded across every row and their
// points marked.

import { plotlyText } from "../shared/dom";
import { formatCount } from "../shared/format";
import { COLORWAY, type Theme, themeAxis, themeLayout } from "../shared/theme";
import type { Figure } from "../shared/types";

/** src/labtrack/widgets/monitor.py's MonitorFeature. */
export interface MonitorFeature {
  feature: string;
  test: "ks" | "chi2" | "";
  window_start: number[];
  psi: (number | null)[];
  p_value: (number | null)[];
  drifted: boolean[];
  n: number[];
}

export interface MonitorAccuracy {
  window_start: number[];
  accuracy: (number | null)[];
  n: number[];
}

/** src/labtrack/widgets/monitor.py's MonitorState. */
export interface MonitorState {
  deployment: string;
  window_ms: number;
  psi_threshold: number;
  p_threshold: number;
  features: MonitorFeature[];
  accuracy: MonitorAccuracy;
  selected: string[];
  empty_message: string;
}

export const PREDICTION = "prediction";
const TESTS: Record<string, string> = { ks: "Kolmogorov-Smirnov", chi2: "chi-squared", "": "" };
// p-values under this are drawn at it: a log axis has no 0, and 1e-300 would squash the rest.
const P_FLOOR = 1e-12;

/** Whether a feature row is the prediction's drift ("prediction" or "prediction.<output>"). */
export function isPrediction(feature: string): boolean {
  return feature === PREDICTION || feature.startsWith(`${PREDICTION}.`);
}

// The features' colours: the theme's colorway in order (a chart's few features must differ, which
// hashing names into it does not promise), without its red, which marks drift.
const FEATURE_COLORS = COLORWAY.filter((c) => c !== "#d62728");

/** The colour of the `index`-th feature's lines. */
export function featureColor(index: number): string {
  return FEATURE_COLORS[index % FEATURE_COLORS.length] as string;
}

/** Window starts where some feature drifted, ascending, with the features that did. */
export function driftedWindows(state: MonitorState): [number, string[]][] {
  const found = new Map<number, string[]>();
  for (const f of state.features) {
    f.window_start.forEach((start, i) => {
      if (f.drifted[i]) found.set(start, [...(found.get(start) ?? []), f.feature]);
    });
  }
  return [...found.entries()].sort(([a], [b]) => a - b);
}

/** "3 features · 2 of 6 windows drifted (x, colour)", what the toolbar says. */
export function summary(state: MonitorState): string {
  const inputs = state.features.filter((f) => !isPrediction(f.feature)).length;
  const windows = new Set(state.features.flatMap((f) => f.window_start)).size;
  const drifted = driftedWindows(state);
  const names = [...new Set(drifted.flatMap(([, features]) => features))];
  const parts = [`${formatCount(inputs)} feature${inputs === 1 ? "" : "s"}`];
  parts.push(
    drifted.length
      ? `${formatCount(drifted.length)} of ${formatCount(windows)} windows drifted (${names.join(", ")})`
      : `no drift in ${formatCount(windows)} window${windows === 1 ? "" : "s"}`,
  );
  return parts.join(" · ");
}

function hasAccuracy(state: MonitorState): boolean {
  return state.accuracy.accuracy.some((v) => v !== null);
}

/** The figure, or null when there is no window to draw. */
export function monitorFigure(state: MonitorState, theme: Theme): Figure | null {
  if (!state.features.some((f) => f.window_start.length)) return null;
  const rows = hasAccuracy(state) ? 3 : 2;
  const half = state.window_ms / 2;
  const data: Record<string, unknown>[] = [];
  for (const [index, f] of state.features.entries()) {
    const color = featureColor(index);
    const prediction = isPrediction(f.feature);
    // Points sit at the middle of their window, so the shading of a drifted window is around them.
    const x = f.window_start.map((s) => s + half);
    const common = {
      type: "scatter",
      mode: "lines+markers",
      x,
      name: plotlyText(f.feature),
      legendgroup: f.feature,
      line: { color, width: 1.8, dash: prediction ? "dot" : "solid" },
      marker: { color, size: 6 },
      customdata: f.window_start.map((s, i) => [s, f.n[i] ?? 0, f.drifted[i] ? "drifted" : "ok"]),
      meta: [plotlyText(f.feature), TESTS[f.test] ?? ""],
    };
    data.push({
      ...common,
      y: f.psi,
      yaxis: "y",
      hovertemplate:
        "<b>%{meta[0]}</b><br>window from %{customdata[0]|%Y-%m-%d %H:%M} UTC<br>PSI %{y:.3f} · n %{customdata[1]}<br>%{customdata[2]}<extra></extra>",
    });
    data.push({
      ...common,
      y: f.p_value.map((p) => (p === null ? null : Math.max(p, P_FLOOR))),
      yaxis: "y2",
      showlegend: false,
      hovertemplate:
        "<b>%{meta[0]}</b><br>%{meta[1]} p = %{y:.2g}<br>n %{customdata[1]}<br>%{customdata[2]}<extra></extra>",
    });
  }
  // The drifted points, marked on both test rows (one legend entry).
  const marked = state.features.flatMap((f) =>
    f.window_start.flatMap((s, i) =>
      f.drifted[i] ? [{ x: s + half, psi: f.psi[i] ?? null, p: f.p_value[i] ?? null, feature: f.feature }] : [],
    ),
  );
  if (marked.length) {
    const drift = {
      type: "scatter",
      mode: "markers",
      name: "drifted",
      legendgroup: "drifted",
      x: marked.map((m) => m.x),
      marker: { symbol: "x-thin", size: 12, line: { width: 2.5, color: driftColor(theme) } },
      customdata: marked.map((m) => plotlyText(m.feature)),
      hovertemplate: "<b>%{customdata}</b> drifted<extra></extra>",
    };
    data.push({ ...drift, y: marked.map((m) => m.psi), yaxis: "y" });
    data.push({
      ...drift,
      y: marked.map((m) => (m.p === null ? null : Math.max(m.p, P_FLOOR))),
      yaxis: "y2",
      showlegend: false,
    });
  }
  if (rows === 3) {
    const acc = state.accuracy;
    data.push({
      type: "scatter",
      mode: "lines+markers",
      name: "live accuracy",
      x: acc.window_start.map((s) => s + half),
      y: acc.accuracy,
      yaxis: "y3",
      line: { color: theme.accent, width: 2 },
      marker: { color: theme.accent, size: 6 },
      customdata: acc.n,
      hovertemplate: "accuracy %{y:.3f}<br>%{customdata} labelled<extra></extra>",
    });
  }

  const axis = themeAxis(theme);
  const title = axis.title as object;
  const yTitle = (text: string) => ({ ...title, text });
  const layout: Record<string, unknown> = {
    ...themeLayout(theme),
    height: 120 + 190 * rows,
    margin: { l: 64, r: 16, t: 28, b: 48 },
    hovermode: "closest",
    showlegend: true,
    legend: { ...(themeLayout(theme).legend as object), orientation: "h", y: 1.02, yanchor: "bottom", x: 0 },
    grid: { rows, columns: 1, pattern: "coupled", roworder: "top to bottom", ygap: 0.14 },
    // Keep the user's zoom when the monitor is updated with later windows.
    uirevision: state.deployment,
    xaxis: { ...axis, type: "date", title: yTitle("window (UTC)") },
    yaxis: { ...axis, title: yTitle("PSI"), rangemode: "tozero", automargin: true },
    yaxis2: { ...axis, type: "log", title: yTitle("p-value"), exponentformat: "power", automargin: true },
    shapes: [
      ...driftedWindows(state).map(([start]) => ({
        type: "rect",
        xref: "x",
        yref: "paper",
        x0: start,
        x1: start + state.window_ms,
        y0: 0,
        y1: 1,
        layer: "below",
        line: { width: 0 },
        fillcolor: driftColor(theme),
        opacity: theme.dark ? 0.2 : 0.12,
      })),
      thresholdLine("y", state.psi_threshold, theme),
      thresholdLine("y2", state.p_threshold, theme),
    ],
    annotations: [
      thresholdLabel("y", state.psi_threshold, `PSI threshold ${state.psi_threshold}`, theme),
      thresholdLabel("y2", state.p_threshold, `p threshold ${state.p_threshold}`, theme),
    ],
  };
  if (rows === 3) layout.yaxis3 = { ...axis, title: yTitle("live accuracy"), range: [0, 1.05], automargin: true };
  return { data, layout };
}

function driftColor(theme: Theme): string {
  return theme.dark ? "#ef5350" : "#d32f2f";
}

function thresholdLine(yref: string, value: number, theme: Theme): Record<string, unknown> {
  return {
    type: "line",
    xref: "paper",
    yref,
    x0: 0,
    x1: 1,
    y0: value,
    y1: value,
    line: { color: theme.muted, width: 1.2, dash: "dash" },
  };
}

function thresholdLabel(yref: string, value: number, text: string, theme: Theme): Record<string, unknown> {
  return {
    xref: "paper",
    yref,
    x: 1,
    y: yref === "y2" ? Math.log10(value) : value,
    xanchor: "right",
    yanchor: "bottom",
    showarrow: false,
    text: plotlyText(text),
    font: { color: theme.muted, size: 11 },
  };
}
