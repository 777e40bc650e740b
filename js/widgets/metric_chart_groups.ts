// lt.chart(group_by=...): one line per group, the mean over its runs, inside a band from their
// min to their max. The mean lines are drawn by the run chart's own figure code (one "series"
// per group and metric), so subplots, smoothing, log scale and hover match lt.chart's.

import { toFloat64 } from "../shared/buffers";
import { buildLineFigure, type ChartOptions, metricOrder } from "../shared/chart";
import { runColor } from "../shared/colors";
import type { Theme } from "../shared/theme";
import type { Figure, GroupSeries, Series } from "../shared/types";

/** "#1f77b4" -> "rgba(31,119,180,0.2)": the band in the group's colour, see-through. */
export function translucent(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.replace("#", ""), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/** The legend's name of a group: its name and how many runs it draws from. */
export function groupName(group: GroupSeries): string {
  return `${group.group} (${group.runs} ${group.runs === 1 ? "run" : "runs"})`;
}

export function buildGroupFigure(groups: GroupSeries[], options: ChartOptions, theme: Theme): Figure {
  // A group is coloured by its name, as runColor colours a run by its id.
  const means: Series[] = groups.map((g) => ({
    run_id: g.group,
    run_name: groupName(g),
    metric: g.metric,
    x: g.x,
    y: g.mean,
    points: g.points,
    total_points: g.points,
  }));
  const figure = buildLineFigure(means, { ...options, xAxis: "step" }, theme);
  const bands: Record<string, unknown>[] = [];
  const metrics = metricOrder(means, options.metrics);
  for (const [i, g] of groups.entries()) {
    const row = metrics.indexOf(g.metric);
    const axes = { xaxis: "x", yaxis: row <= 0 ? "y" : `y${row + 1}` };
    const x = toFloat64(g.x);
    const common = {
      ...axes,
      type: g.points > 5000 ? "scattergl" : "scatter",
      mode: "lines",
      x,
      legendgroup: g.group,
      showlegend: false,
      hoverinfo: "skip",
      line: { width: 0, color: runColor(g.group) },
    };
    // min first, then max filled down to it ('tonexty' fills to the trace just before).
    bands.push({ ...common, y: toFloat64(g.low), name: `${means[i].run_name} min` });
    bands.push({
      ...common,
      y: toFloat64(g.high),
      name: `${means[i].run_name} max`,
      fill: "tonexty",
      fillcolor: translucent(runColor(g.group), theme.dark ? 0.28 : 0.18),
    });
  }
  // Bands under the lines, so a mean stays visible over another group's band.
  return { data: [...bands, ...figure.data], layout: figure.layout };
}
