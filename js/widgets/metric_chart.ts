// lt.chart(): metric curves, one line per run (or per group, with group_by), a subplot per
// metric; toolbar writes back x_axis, smoothing and log_y.

import { buildLineFigure, downsampleNote } from "../shared/chart";
import { checkboxControl, selectControl, sliderControl } from "../shared/controls";
import { h, widgetRoot } from "../shared/dom";
import { commit, Disposer, type RenderProps } from "../shared/model";
import { draw, plotRoot } from "../shared/plotly";
import { keepDrawn } from "../shared/redraw";
import type { Theme } from "../shared/theme";
import type { MetricChartState, XAxis } from "../shared/types";
import { buildGroupFigure } from "./metric_chart_groups";

function render({ model, el }: RenderProps<MetricChartState>): () => void {
  const disposer = new Disposer();
  const xSelect = selectControl(
    "x axis",
    [
      ["step", "step"],
      ["relative", "relative time"],
      ["wall", "wall time"],
    ],
    disposer,
    (value) => commit(model, "x_axis", value as XAxis),
  );
  const slider = sliderControl(
    "smoothing",
    0,
    0.99,
    0.01,
    disposer,
    (value) => model.set("smoothing", value), // redraws locally while dragging
    () => model.save_changes(),
  );
  const logY = checkboxControl("log y", disposer, (checked) => commit(model, "log_y", checked));
  const live = h("span", {
    class: "lt-live",
    text: "live",
    title: "A drawn run is still running: the chart follows it",
  });
  const xField = h("label", { class: "lt-field" }, ["x ", xSelect]);
  const groupLabel = h("span", { class: "lt-field lt-group-label" });
  const toolbar = h("div", { class: "lt-toolbar" }, [
    xField,
    groupLabel,
    slider.wrap,
    logY.wrap,
    h("span", { class: "lt-spacer" }),
    live,
  ]);
  const empty = h("div", { class: "lt-empty" });
  const plotArea = h("div", { class: "lt-plot-area" });
  const footnote = h("div", { class: "lt-footnote" });
  const root = widgetRoot("lt-chart", [toolbar, empty, plotArea, footnote]);
  el.appendChild(root);
  disposer.add(() => root.remove());
  const plot = plotRoot(plotArea, disposer, model);

  const redraw = (theme: Theme) => {
    const series = model.get("series") ?? [];
    const groupBy = model.get("group_by") ?? "";
    const groups = groupBy ? (model.get("groups") ?? []) : [];
    xField.hidden = !!groupBy; // groups are means at a step: only the step axis lines runs up
    groupLabel.hidden = !groupBy;
    groupLabel.textContent = groupBy ? `grouped by ${groupBy}` : "";
    xSelect.value = model.get("x_axis");
    const smoothing = model.get("smoothing") ?? 0;
    slider.input.value = String(smoothing);
    slider.value.textContent = smoothing.toFixed(2);
    logY.input.checked = !!model.get("log_y");
    live.hidden = !model.get("live");
    const isEmpty = groupBy ? groups.length === 0 : series.length === 0;
    empty.hidden = !isEmpty;
    empty.textContent = isEmpty ? model.get("empty_message") || "No metric points to draw yet." : "";
    plotArea.hidden = isEmpty;
    footnote.textContent = groupBy
      ? "Each line is a group's mean over its runs at each step; the band spans their min to max."
      : downsampleNote(series);
    if (isEmpty) return;
    const options = {
      metrics: model.get("metrics") ?? [],
      xAxis: model.get("x_axis"),
      smoothing,
      logY: !!model.get("log_y"),
    };
    void draw(plot, groupBy ? buildGroupFigure(groups, options, theme) : buildLineFigure(series, options, theme)).catch(
      (error: unknown) => console.error("labtrack: drawing the chart failed", error),
    );
  };

  keepDrawn(
    model,
    el,
    ["series", "groups", "group_by", "metrics", "x_axis", "smoothing", "log_y", "live", "empty_message"],
    disposer,
    redraw,
  );
  return () => disposer.dispose();
}

export default { render };
