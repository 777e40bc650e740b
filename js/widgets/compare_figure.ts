// lt.compare(): the parallel-coordinates figure, from state (pure, tested without drawing).

import { plotlyText } from "../shared/dom";
import { sequentialScale, type Theme, textHalo, themeLayout } from "../shared/theme";
import type { CompareParam, CompareState, Figure } from "../shared/types";
import { type Dimension, dimensionOf } from "./parallel_figure";

function isNumeric(values: (string | null)[]): boolean {
  const present = values.filter((v): v is string => v !== null);
  return present.length > 0 && present.every((v) => v.trim() !== "" && Number.isFinite(Number(v)));
}

/** A param as an axis, as lt.parallel draws one: numbers as they are (a log axis across
 * decades), text as category indices labelled by tick text. */
export function paramDimension(param: CompareParam): Dimension {
  return dimensionOf(param.key, isNumeric(param.values) ? "number" : "category", param.values);
}

/** Params that differ between the runs (all of them when none does), then the metric. */
export function buildParcoordsFigure(state: CompareState, theme: Theme): Figure | null {
  const target = state.metrics.find((m) => m.key === state.metric);
  const differing = state.params.filter((p) => p.differs);
  const params = differing.length ? differing : state.params;
  if (!target || !params.length) return null;
  const colors = target.values.map((v) => (v === null ? NaN : v));
  const dimensions: Dimension[] = [...params.map(paramDimension), { label: plotlyText(target.key), values: colors }];
  return {
    data: [
      {
        type: "parcoords",
        dimensions,
        line: {
          color: colors,
          colorscale: sequentialScale(theme),
          showscale: true,
          colorbar: { title: { text: plotlyText(target.key) }, outlinewidth: 0 },
        },
        labelfont: { color: theme.text },
        // Plotly's automatic tick-label halo is a grey glow on a dark background: use the page's.
        tickfont: { color: theme.muted, shadow: textHalo(theme) },
        rangefont: { color: theme.muted },
        labelangle: dimensions.length > 6 ? -20 : 0,
      },
    ],
    layout: { ...themeLayout(theme), height: 340, margin: { l: 56, r: 56, t: 56, b: 24 } },
  };
}
