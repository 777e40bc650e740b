// lt.compare(): each run's note (Markdown, editable), params (differences marked), metrics
// (best marked), the overlaid curves of `metric`, and parallel coordinates of params -> metric.

import { buildLineFigure } from "../shared/chart";
import { runSwatch } from "../shared/colors";
import { checkboxControl, selectControl } from "../shared/controls";
import { h, replaceChildren, widgetRoot } from "../shared/dom";
import { commit, Disposer, type RenderProps } from "../shared/model";
import { kernelNotes, type NoteEditor, noteEditor } from "../shared/notes";
import { draw, plotRoot } from "../shared/plotly";
import { keepDrawn } from "../shared/redraw";
import type { Theme } from "../shared/theme";
import type { CompareState } from "../shared/types";
import { buildParcoordsFigure } from "./compare_figure";
import { metricsTable, paramsTable } from "./compare_tables";

function render({ model, el }: RenderProps<CompareState>): () => void {
  const disposer = new Disposer();
  let onlyDiffering = false;
  const diffToggle = checkboxControl("only differing params", disposer, (checked) => {
    onlyDiffering = checked;
    schedule();
  });
  const metricSelect = selectControl("metric", [], disposer, (value) => commit(model, "metric", value));
  const notesArea = h("div", { class: "lt-compare-notes" });
  const notes = kernelNotes(model, disposer);
  const editors = new Map<string, NoteEditor>(); // by run: kept across redraws, so are edits
  const params = h("div", { class: "lt-table-wrap" });
  const metrics = h("div", { class: "lt-table-wrap" });
  const curvesArea = h("div", { class: "lt-plot-area" });
  const parcoordsArea = h("div", { class: "lt-plot-area" });
  const parcoordsNote = h("div", { class: "lt-footnote" });
  const empty = h("div", { class: "lt-empty" });
  const body = h("div", {}, [
    h("div", { class: "lt-section-head" }, [h("h4", { text: "Notes" })]),
    notesArea,
    h("div", { class: "lt-section-head" }, [h("h4", { text: "Params" }), diffToggle.wrap]),
    params,
    h("div", { class: "lt-section-head" }, [h("h4", { text: "Metrics" })]),
    metrics,
    h("div", { class: "lt-section-head" }, [
      h("h4", { text: "Curves" }),
      h("label", { class: "lt-field" }, ["metric ", metricSelect]),
    ]),
    curvesArea,
    h("div", { class: "lt-section-head" }, [h("h4", { text: "Params → metric" })]),
    parcoordsArea,
    parcoordsNote,
  ]);
  const root = widgetRoot("lt-compare", [empty, body]);
  el.appendChild(root);
  disposer.add(() => root.remove());
  const curves = plotRoot(curvesArea, disposer, model);
  const parcoords = plotRoot(parcoordsArea, disposer, model);
  const failed = (error: unknown) => console.error("labtrack: drawing the comparison failed", error);

  const redraw = (theme: Theme) => {
    const state: CompareState = {
      runs: model.get("runs") ?? [],
      params: model.get("params") ?? [],
      metrics: model.get("metrics") ?? [],
      series: model.get("series") ?? [],
      metric: model.get("metric") ?? "",
      selected: model.get("selected") ?? [],
    };
    empty.hidden = state.runs.length > 0;
    empty.textContent = state.runs.length ? "" : model.get("empty_message") || "No runs to compare.";
    body.hidden = !state.runs.length;
    if (!state.runs.length) return;
    replaceChildren(
      notesArea,
      state.runs.map((run) => {
        let editor = editors.get(run.run_id);
        if (!editor) {
          editor = noteEditor((text) => notes.set(run.run_id, text), disposer, `note of ${run.run_name}`);
          editors.set(run.run_id, editor);
        }
        editor.show(run.note ?? "");
        return h("div", { class: "lt-compare-note", title: run.run_id }, [
          h("div", { class: "lt-compare-note-head" }, [
            runSwatch(run.run_id),
            h("span", { class: "lt-run-name", text: run.run_name || run.run_id }),
          ]),
          editor.el,
        ]);
      }),
    );
    replaceChildren(params, [
      state.params.length
        ? paramsTable(state, onlyDiffering)
        : h("div", { class: "lt-muted", text: "These runs log no params." }),
    ]);
    replaceChildren(metrics, [
      state.metrics.length ? metricsTable(state) : h("div", { class: "lt-muted", text: "These runs log no metrics." }),
    ]);
    replaceChildren(
      metricSelect,
      state.metrics.map((m) => h("option", { text: m.key, attrs: { value: m.key } })),
    );
    metricSelect.value = state.metric;
    curvesArea.hidden = !state.series.length;
    if (state.series.length) {
      void draw(
        curves,
        buildLineFigure(state.series, { metrics: [state.metric], xAxis: "step", smoothing: 0, logY: false }, theme),
      ).catch(failed);
    }
    const figure = buildParcoordsFigure(state, theme);
    parcoordsArea.hidden = !figure;
    parcoordsNote.textContent = figure ? "" : "Parallel coordinates need params and a metric.";
    if (figure) void draw(parcoords, figure).catch(failed);
  };

  const schedule = keepDrawn(
    model,
    el,
    ["runs", "params", "metrics", "series", "metric", "empty_message"],
    disposer,
    redraw,
  );
  return () => disposer.dispose();
}

export default { render };
