// lt.parallel(): parallel coordinates over runs. Brushing axes selects the runs inside every
// brush (`selected`, linked to the run table); clearing the brushes clears the selection; a
// selection made elsewhere shows as its runs in colour and the others grey.

import { h, widgetRoot } from "../shared/dom";
import { formatCount } from "../shared/format";
import { commit, Disposer, type RenderProps } from "../shared/model";
import { draw, type PlotlyElement, plotRoot } from "../shared/plotly";
import { keepDrawn } from "../shared/redraw";
import type { Theme } from "../shared/theme";
import { type Brush, brushesOf, type ParallelState, parallelFigure, runsInBrushes, sameRuns } from "./parallel_figure";

function render({ model, el }: RenderProps<ParallelState>): () => void {
  const disposer = new Disposer();
  const clear = h("button", { class: "lt-button", text: "Clear selection", attrs: { type: "button" } });
  const count = h("span", { class: "lt-count" });
  const hint = h("span", { class: "lt-muted", text: "drag along an axis to select runs" });
  const toolbar = h("div", { class: "lt-toolbar" }, [hint, h("span", { class: "lt-spacer" }), count, clear]);
  const empty = h("div", { class: "lt-empty" });
  const plotArea = h("div", { class: "lt-plot-area" });
  const root = widgetRoot("lt-parallel", [toolbar, empty, plotArea]);
  el.appendChild(root);
  disposer.add(() => root.remove());
  const plot = plotRoot(plotArea, disposer, model);

  let brushes: (Brush | null)[] = [];
  let axesKey = "";
  let listening = false;

  const state = (): ParallelState => ({
    params: model.get("params") ?? [],
    metric: model.get("metric") ?? "",
    runs: model.get("runs") ?? { run_id: [], run_name: [] },
    axes: model.get("axes") ?? [],
    selected: model.get("selected") ?? [],
    empty_message: model.get("empty_message") ?? "",
  });

  const onBrush = (drawn: PlotlyElement) => {
    const data = (drawn as unknown as { data?: { dimensions?: { constraintrange?: Brush }[] }[] }).data;
    brushes = brushesOf(data?.[0]?.dimensions);
    const picked = runsInBrushes(state(), brushes);
    if (!sameRuns(picked, model.get("selected") ?? [])) commit(model, "selected", picked);
  };

  const redraw = (theme: Theme) => {
    const current = state();
    const key = current.axes.map((a) => a.name).join("|");
    if (key !== axesKey) brushes = []; // other axes: the old brushes mean nothing there
    axesKey = key;
    // A selection made elsewhere (the table) replaces the brushes that no longer describe it.
    if (brushes.some((b) => b !== null) && !sameRuns(runsInBrushes(current, brushes), current.selected)) {
      brushes = [];
    }
    const runs = current.runs.run_id.length;
    const chosen = current.selected.length;
    count.textContent = `${formatCount(runs)} runs${chosen ? ` · ${formatCount(chosen)} selected` : ""}`;
    clear.hidden = chosen === 0;
    const figure = parallelFigure(current, theme, brushes);
    empty.hidden = !!figure;
    empty.textContent = figure ? "" : current.empty_message || "No runs to draw.";
    plotArea.hidden = !figure;
    toolbar.hidden = !figure;
    if (!figure) return;
    draw(plot, figure)
      .then((drawn) => {
        if (listening) return;
        listening = true; // plotly keeps handlers across react(); attach once
        drawn.on("plotly_restyle", () => onBrush(drawn));
      })
      .catch((error: unknown) => console.error("labtrack: drawing the parallel coordinates failed", error));
  };

  const schedule = keepDrawn(
    model,
    el,
    ["params", "metric", "runs", "axes", "selected", "empty_message"],
    disposer,
    redraw,
  );
  disposer.listen(clear, "click", () => {
    brushes = [];
    commit(model, "selected", []);
    schedule();
  });
  return () => disposer.dispose();
}

export default { render };
