// lt.scatter(): one point per run; clicking a point toggles its run in `selected`.

import { checkboxControl } from "../shared/controls";
import { h, widgetRoot } from "../shared/dom";
import { formatCount } from "../shared/format";
import { commit, Disposer, type RenderProps } from "../shared/model";
import { draw, plotRoot } from "../shared/plotly";
import { keepDrawn } from "../shared/redraw";
import type { Theme } from "../shared/theme";
import type { ScatterState } from "../shared/types";
import { buildScatterFigure, toggleRun } from "./scatter_figure";

function render({ model, el }: RenderProps<ScatterState>): () => void {
  const disposer = new Disposer();
  const logX = checkboxControl("log x", disposer, (checked) => commit(model, "log_x", checked));
  const logY = checkboxControl("log y", disposer, (checked) => commit(model, "log_y", checked));
  const clear = h("button", { class: "lt-button", text: "Clear selection", attrs: { type: "button" } });
  disposer.listen(clear, "click", () => commit(model, "selected", []));
  const count = h("span", { class: "lt-count" });
  const toolbar = h("div", { class: "lt-toolbar" }, [
    logX.wrap,
    logY.wrap,
    h("span", { class: "lt-spacer" }),
    count,
    clear,
  ]);
  const empty = h("div", { class: "lt-empty" });
  const plotArea = h("div", { class: "lt-plot-area" });
  const root = widgetRoot("lt-scatter", [toolbar, empty, plotArea]);
  el.appendChild(root);
  disposer.add(() => root.remove());
  const plot = plotRoot(plotArea, disposer, model);
  let listening = false;

  const redraw = (theme: Theme) => {
    const state = {
      x: model.get("x"),
      y: model.get("y"),
      color: model.get("color"),
      log_x: !!model.get("log_x"),
      log_y: !!model.get("log_y"),
      points: model.get("points"),
      x_kind: model.get("x_kind"),
      y_kind: model.get("y_kind"),
      selected: model.get("selected") ?? [],
      empty_message: model.get("empty_message"),
    } satisfies ScatterState;
    logX.input.checked = state.log_x;
    logY.input.checked = state.log_y;
    logX.input.disabled = state.x_kind === "category"; // a log scale needs numbers
    logY.input.disabled = state.y_kind === "category";
    const runs = state.points?.run_id?.length ?? 0;
    const chosen = state.selected.length;
    count.textContent = `${formatCount(runs)} runs${chosen ? ` · ${formatCount(chosen)} selected` : ""}`;
    clear.hidden = chosen === 0;
    empty.hidden = runs > 0;
    empty.textContent = runs ? "" : state.empty_message || "No runs to plot.";
    plotArea.hidden = runs === 0;
    if (!runs) return;
    draw(plot, buildScatterFigure(state, theme))
      .then((drawn) => {
        if (listening) return;
        listening = true; // plotly keeps handlers across react(); attach once
        drawn.on("plotly_click", (event: { points?: { customdata?: unknown[] }[] }) => {
          const runId = event.points?.[0]?.customdata?.[0];
          if (typeof runId === "string") commit(model, "selected", toggleRun(model.get("selected") ?? [], runId));
        });
      })
      .catch((error: unknown) => console.error("labtrack: drawing the scatter plot failed", error));
  };

  keepDrawn(
    model,
    el,
    ["points", "x", "y", "color", "log_x", "log_y", "x_kind", "y_kind", "selected", "empty_message"],
    disposer,
    redraw,
  );
  return () => disposer.dispose();
}

export default { render };
