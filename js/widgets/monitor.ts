// lt.monitor()'s chart: a deployment's drift over time. The kernel computes every number
// (labtrack.widgets.monitor); this draws them and says in words how many windows drifted.

import { h, widgetRoot } from "../shared/dom";
import { Disposer, type RenderProps } from "../shared/model";
import { draw, plotRoot } from "../shared/plotly";
import { keepDrawn } from "../shared/redraw";
import type { Theme } from "../shared/theme";
import { driftedWindows, type MonitorState, monitorFigure, summary } from "./monitor_figure";

function render({ model, el }: RenderProps<MonitorState>): () => void {
  const disposer = new Disposer();
  const title = h("span", { class: "lt-monitor-title" });
  const count = h("span", { class: "lt-count lt-monitor-summary" });
  const toolbar = h("div", { class: "lt-toolbar" }, [title, h("span", { class: "lt-spacer" }), count]);
  const empty = h("div", { class: "lt-empty" });
  const plotArea = h("div", { class: "lt-plot-area" });
  const root = widgetRoot("lt-monitor", [toolbar, empty, plotArea]);
  el.appendChild(root);
  disposer.add(() => root.remove());
  const plot = plotRoot(plotArea, disposer, model);

  const state = (): MonitorState => ({
    deployment: model.get("deployment") ?? "",
    window_ms: model.get("window_ms") ?? 3_600_000,
    psi_threshold: model.get("psi_threshold") ?? 0.2,
    p_threshold: model.get("p_threshold") ?? 0.01,
    features: model.get("features") ?? [],
    accuracy: model.get("accuracy") ?? { window_start: [], accuracy: [], n: [] },
    selected: model.get("selected") ?? [],
    empty_message: model.get("empty_message") ?? "",
  });

  const redraw = (theme: Theme) => {
    const current = state();
    title.textContent = current.deployment ? `drift of ${current.deployment}` : "drift";
    count.textContent = summary(current);
    // Tests and readers find the drifted windows without parsing the chart.
    root.dataset.drifted = String(driftedWindows(current).length);
    const figure = monitorFigure(current, theme);
    empty.hidden = !!figure;
    empty.textContent = figure ? "" : current.empty_message || "No window to draw yet.";
    plotArea.hidden = !figure;
    if (!figure) return;
    draw(plot, figure).catch((error: unknown) => console.error("labtrack: drawing the drift chart failed", error));
  };

  keepDrawn(
    model,
    el,
    ["deployment", "window_ms", "psi_threshold", "p_threshold", "features", "accuracy", "empty_message"],
    disposer,
    redraw,
  );
  return () => disposer.dispose();
}

export default { render };
