// lt.scatter(): state in, Plotly figure out (pure, so it is tested without drawing).

import { runColor } from "../shared/colors";
import { plotlyText } from "../shared/dom";
import { sequentialScale, type Theme, themeAxis, themeLayout } from "../shared/theme";
import type { Cell, Figure, ScatterState } from "../shared/types";

export type ColorMode = "none" | "numeric" | "category";
const MISSING = "(none)";

export function colorMode(values: Cell[] | undefined): ColorMode {
  const present = (values ?? []).filter((v) => v !== null && v !== undefined);
  if (!present.length) return "none";
  return present.every((v) => typeof v === "number") ? "numeric" : "category";
}

/** `selected` with `runId` added, or removed when it was there. */
export function toggleRun(selected: string[], runId: string): string[] {
  return selected.includes(runId) ? selected.filter((id) => id !== runId) : [...selected, runId];
}

function axisType(kind: "number" | "category", log: boolean): string {
  return kind === "category" ? "category" : log ? "log" : "linear";
}

export function buildScatterFigure(state: ScatterState, theme: Theme): Figure {
  const p = state.points;
  const count = p.run_id.length;
  const mode = state.color ? colorMode(p.color) : "none";
  const selected = new Set(state.selected);
  const anySelected = p.run_id.some((id) => selected.has(id));
  // Category labels are drawn by Plotly's markup parser: escape them like any user text.
  const axisValue = (kind: string, v: Cell) => (kind === "category" ? plotlyText(v) : v);

  const groups = new Map<string, number[]>();
  for (let i = 0; i < count; i++) {
    const key = mode === "category" ? String(p.color[i] ?? MISSING) : "";
    const list = groups.get(key) ?? [];
    list.push(i);
    groups.set(key, list);
  }

  const data = [...groups.entries()].map(([key, rows]) => {
    const isSel = rows.map((i) => selected.has(p.run_id[i]));
    return {
      type: count > 5000 ? "scattergl" : "scatter",
      mode: "markers",
      name: mode === "category" ? plotlyText(key) : "runs",
      showlegend: mode === "category",
      x: rows.map((i) => axisValue(state.x_kind, p.x[i] ?? null)),
      y: rows.map((i) => axisValue(state.y_kind, p.y[i] ?? null)),
      customdata: rows.map((i) => [p.run_id[i], plotlyText(p.run_name[i])]),
      marker: {
        size: isSel.map((s) => (s ? 12 : 8)),
        opacity: isSel.map((s) => (anySelected && !s ? 0.3 : 0.9)),
        line: { width: isSel.map((s) => (s ? 2 : 0)), color: theme.text },
        ...(mode === "numeric"
          ? {
              color: rows.map((i) => p.color[i] ?? null),
              colorscale: sequentialScale(theme),
              showscale: true,
              colorbar: { title: { text: plotlyText(state.color) }, outlinewidth: 0, tickfont: { color: theme.muted } },
            }
          : // A category has its name's colour (as a run group's line has); no colour: each run's own.
            { color: mode === "category" ? runColor(key) : rows.map((i) => runColor(p.run_id[i])) }),
      },
      meta: [
        plotlyText(state.x),
        plotlyText(state.y),
        plotlyText(state.color),
        mode === "category" ? plotlyText(key) : "",
      ],
      hovertemplate:
        "<b>%{customdata[1]}</b><br>%{meta[0]}: %{x}<br>%{meta[1]}: %{y}" +
        (mode === "numeric"
          ? "<br>%{meta[2]}: %{marker.color}"
          : mode === "category"
            ? "<br>%{meta[2]}: %{meta[3]}"
            : "") +
        "<extra></extra>",
    };
  });

  const axis = themeAxis(theme);
  const title = axis.title as object;
  return {
    data,
    layout: {
      ...themeLayout(theme),
      height: 420,
      margin: { l: 64, r: 16, t: 16, b: 56 },
      hovermode: "closest",
      clickmode: "event",
      showlegend: mode === "category",
      legend: { ...(themeLayout(theme).legend as object), title: { text: plotlyText(state.color) } },
      uirevision: `${state.x}|${state.y}|${state.log_x}|${state.log_y}`,
      xaxis: {
        ...axis,
        type: axisType(state.x_kind, state.log_x),
        title: { ...title, text: plotlyText(state.x) },
        automargin: true,
      },
      yaxis: {
        ...axis,
        type: axisType(state.y_kind, state.log_y),
        title: { ...title, text: plotlyText(state.y) },
        automargin: true,
      },
    },
  };
}
