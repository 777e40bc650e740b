// lt.chart(): metric curves, one line per run, a subplot per metric; toolbar writes back
// x_axis, smoothing and log_y.

import { buildLineFigure, downsampleNote } from "../shared/chart";
import { checkboxControl, selectControl, sliderControl } from "../shared/controls";
import { h, widgetRoot } from "../shared/dom";
import { commit, Disposer, type RenderProps } from "../shared/model";
import { draw, plotRoot } from "../shared/plotly";
import { keepDrawn } from "../shared/redraw";
import type { Theme } from "../shared/theme";
import type { MetricChartState, XAxis } from "../shared/types";

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
  const toolbar = h("div", { class: "lt-toolbar" }, [
    h("label", { class: "lt-field" }, ["x ", xSelect]),
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
  const plot = plotRoot(plotArea, disposer);

  const redraw = (theme: Theme) => {
    const series = model.get("series") ?? [];
    xSelect.value = model.get("x_axis");
    const smoothing = model.get("smoothing") ?? 0;
    slider.input.value = String(smoothing);
    slider.value.textContent = smoothing.toFixed(2);
    logY.input.checked = !!model.get("log_y");
    live.hidden = !model.get("live");
    const isEmpty = series.length === 0;
    empty.hidden = !isEmpty;
    empty.textContent = isEmpty ? model.get("empty_message") || "No metric points to draw yet." : "";
    plotArea.hidden = isEmpty;
    footnote.textContent = downsampleNote(series);
    if (isEmpty) return;
    void draw(
      plot,
      buildLineFigure(
        series,
        {
          metrics: model.get("metrics") ?? [],
          xAxis: model.get("x_axis"),
          smoothing,
          logY: !!model.get("log_y"),
        },
        theme,
      ),
    ).catch((error: unknown) => console.error("labtrack: drawing the chart failed", error));
  };

  keepDrawn(
    model,
    el,
    ["series", "metrics", "x_axis", "smoothing", "log_y", "live", "empty_message"],
    disposer,
    redraw,
  );
  return () => disposer.dispose();
}

export default { render };
