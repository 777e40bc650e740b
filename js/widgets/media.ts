// lt.media(): a key's media over steps, one card per run side by side, and a step slider.
// The kernel sends the step index (each run's steps) and only the chosen step's files
// (`current`); moving the slider sets `step` and the kernel answers with that step's files.
// Every user string (key, run names, texts, table cells) goes in through textContent.

import { runColor } from "../shared/colors";
import { h, replaceChildren, widgetRoot } from "../shared/dom";
import { commit, Disposer, type RenderProps } from "../shared/model";
import { draw, type PlotlyElement, plotRoot } from "../shared/plotly";
import { keepDrawn } from "../shared/redraw";
import type { Theme } from "../shared/theme";
import { buildRidgeline, valueRange } from "./media_figure";
import {
  allSteps,
  asBytes,
  type HistogramSeries,
  type MediaCell,
  type MediaKind,
  type MediaRun,
  type MediaState,
  type MediaTable,
  stepIndex,
} from "./media_types";

const DRAG_ASK_MS = 150;
const MIME: Partial<Record<MediaKind, string>> = { image: "image/png", audio: "audio/wav" };

/** One run's card: a header in the run's colour and the step's content below it. */
interface Card {
  root: HTMLElement;
  name: HTMLElement;
  stepNote: HTMLElement;
  body: HTMLElement;
  footer: HTMLElement;
  /** What the body shows now, so an unchanged cell is not rebuilt (nor its image reloaded). */
  shown: string;
  url: string;
  plot: PlotlyElement | null;
  disposer: Disposer;
}

function tableCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function tableView(table: MediaTable): HTMLElement {
  const head = h(
    "tr",
    {},
    table.columns.map((column) => h("th", { text: column })),
  );
  const rows = table.data.map((row) =>
    h(
      "tr",
      {},
      row.map((value) => h("td", { text: tableCell(value) })),
    ),
  );
  return h("div", { class: "lt-media-table" }, [h("table", {}, [h("thead", {}, [head]), h("tbody", {}, rows)])]);
}

function makeCard(run: MediaRun): Card {
  const color = runColor(run.run_id);
  const name = h("span", { class: "lt-media-run", text: run.run_name || run.run_id, title: run.run_id });
  const stepNote = h("span", { class: "lt-media-step" });
  const header = h("div", { class: "lt-media-header", style: { "border-top-color": color } }, [
    h("span", { class: "lt-media-swatch", style: { background: color } }),
    name,
    h("span", { class: "lt-spacer" }),
    stepNote,
  ]);
  const body = h("div", { class: "lt-media-body" });
  const footer = h("div", { class: "lt-footnote" });
  const root = h("div", { class: "lt-media-card", attrs: { "data-run-id": run.run_id } }, [header, body, footer]);
  return { root, name, stepNote, body, footer, shown: "", url: "", plot: null, disposer: new Disposer() };
}

function releaseCard(card: Card): void {
  if (card.url) URL.revokeObjectURL(card.url);
  card.url = "";
  card.plot = null;
  card.disposer.dispose();
}

/** A signature of what a cell shows: equal signatures need no rebuild. */
function signature(kind: string, cell: MediaCell | undefined): string {
  if (!cell) return `${kind}:none`;
  const size = cell.data ? asBytes(cell.data).byteLength : -1;
  return `${kind}:${cell.step}:${size}:${cell.error}:${cell.note}:${cell.text?.length ?? -1}`;
}

function fillCard(
  card: Card,
  kind: MediaKind | "",
  run: MediaRun,
  cell: MediaCell | undefined,
  chosen: number,
  histograms: HistogramSeries | undefined,
  theme: Theme,
  xRange: [number, number] | null,
  host: object, // the widget's model: where Plotly comes from
): void {
  card.name.textContent = run.run_name || run.run_id;
  const step = cell?.step ?? null;
  card.stepNote.textContent =
    step === null ? "" : step === chosen ? `step ${step}` : `step ${step} (latest ≤ ${chosen})`;
  card.footer.textContent = cell?.note ?? "";
  card.footer.hidden = !cell?.note;
  if (kind === "histogram") {
    // The plot stays; only its figure changes with the step (and the theme).
    if (!card.plot) {
      replaceChildren(card.body, []);
      card.plot = plotRoot(card.body, card.disposer, host);
      card.shown = "histogram";
    }
    const series = histograms ?? { run_id: run.run_id, steps: [], edges: [], counts: [] };
    const current = cell?.histogram && step !== null ? { step, histogram: cell.histogram } : null;
    void draw(card.plot, buildRidgeline(series, current, runColor(run.run_id), theme, xRange)).catch((error: unknown) =>
      console.error("labtrack: drawing the histograms failed", error),
    );
    return;
  }
  const shown = signature(kind, cell);
  if (shown === card.shown) return;
  card.shown = shown;
  if (card.url) URL.revokeObjectURL(card.url);
  card.url = "";
  let content: Node;
  if (!cell || step === null) {
    const first = run.steps[0];
    content = h("div", {
      class: "lt-media-missing",
      text: first === undefined ? "nothing logged yet" : `nothing before step ${first}`,
    });
  } else if (cell.error) {
    content = h("div", { class: "lt-media-error", text: cell.error });
  } else if ((kind === "image" || kind === "audio") && cell.data) {
    const bytes = asBytes(cell.data);
    card.url = URL.createObjectURL(new Blob([bytes.slice()], { type: MIME[kind] }));
    content =
      kind === "image"
        ? h("img", { class: "lt-media-image", attrs: { src: card.url, alt: `${run.run_name} at step ${step}` } })
        : h("audio", { class: "lt-media-audio", attrs: { src: card.url, controls: true, preload: "metadata" } });
  } else if (kind === "table" && cell.table) {
    content = tableView(cell.table);
  } else {
    content = h("pre", { class: "lt-media-text", text: cell.text ?? "" });
  }
  replaceChildren(card.body, [content]);
}

function render({ model, el }: RenderProps<MediaState>): () => void {
  const disposer = new Disposer();
  const cards = new Map<string, Card>();
  disposer.add(() => {
    for (const card of cards.values()) releaseCard(card);
    cards.clear();
  });

  const title = h("span", { class: "lt-media-key" });
  const kindBadge = h("span", { class: "lt-badge lt-media-kind" });
  const prev = h("button", {
    class: "lt-button",
    text: "‹",
    title: "Previous step",
    attrs: { "aria-label": "previous step" },
  });
  const next = h("button", { class: "lt-button", text: "›", title: "Next step", attrs: { "aria-label": "next step" } });
  const slider = h("input", {
    class: "lt-media-slider",
    attrs: { type: "range", min: 0, max: 0, step: 1, "aria-label": "step" },
  });
  const stepLabel = h("span", { class: "lt-slider-value lt-media-step-label" });
  const live = h("span", { class: "lt-live", text: "live", title: "A shown run is still running: new steps appear" });
  const toolbar = h("div", { class: "lt-toolbar" }, [
    title,
    kindBadge,
    h("span", { class: "lt-spacer" }),
    h("div", { class: "lt-slider lt-media-steps", attrs: { role: "group", "aria-label": "step" } }, [
      "step",
      prev,
      slider,
      next,
      stepLabel,
    ]),
    live,
  ]);
  const empty = h("div", { class: "lt-empty" });
  const grid = h("div", { class: "lt-media-grid" });
  const root = widgetRoot("lt-media", [toolbar, empty, grid]);
  el.appendChild(root);
  disposer.add(() => root.remove());

  let steps: number[] = [];
  const choose = (index: number) => {
    if (!steps.length) return;
    const bounded = Math.max(0, Math.min(steps.length - 1, index));
    slider.value = String(bounded);
    stepLabel.textContent = String(steps[bounded]);
    if (steps[bounded] !== model.get("step")) commit(model, "step", steps[bounded]);
  };
  // While dragging, the label follows at once and the kernel is asked for the step under the
  // thumb every DRAG_ASK_MS at most (each ask reads that step's files); on release, at once.
  let asking = 0;
  const stopAsking = () => {
    clearTimeout(asking);
    asking = 0;
  };
  disposer.add(stopAsking);
  disposer.listen(slider, "input", () => {
    stepLabel.textContent = String(steps[Number(slider.value)] ?? "");
    if (!asking)
      asking = window.setTimeout(() => {
        asking = 0;
        choose(Number(slider.value));
      }, DRAG_ASK_MS);
  });
  disposer.listen(slider, "change", () => {
    stopAsking();
    choose(Number(slider.value));
  });
  disposer.listen(prev, "click", () => choose(Number(slider.value) - 1));
  disposer.listen(next, "click", () => choose(Number(slider.value) + 1));

  const redraw = (theme: Theme) => {
    const runs = model.get("runs") ?? [];
    const kind = model.get("kind") ?? "";
    const chosen = model.get("step") ?? 0;
    steps = allSteps(runs);
    title.textContent = model.get("key") ?? "";
    kindBadge.textContent = kind;
    kindBadge.hidden = !kind;
    live.hidden = !model.get("live");
    const index = stepIndex(steps, chosen);
    slider.max = String(Math.max(0, steps.length - 1));
    slider.value = String(index);
    slider.disabled = steps.length < 2;
    prev.disabled = index <= 0;
    next.disabled = index >= steps.length - 1;
    stepLabel.textContent = steps.length ? String(chosen) : "";
    const isEmpty = steps.length === 0;
    empty.hidden = !isEmpty;
    empty.textContent = isEmpty ? model.get("empty_message") || "Nothing logged under this key yet." : "";
    grid.hidden = isEmpty;
    grid.dataset.kind = kind;

    const cells = new Map((model.get("current") ?? []).map((cell) => [cell.run_id, cell]));
    const histograms = new Map((model.get("histograms") ?? []).map((series) => [series.run_id, series]));
    // Runs side by side share the x axis, so their distributions compare by position.
    const xRange =
      kind === "histogram"
        ? valueRange([
            ...[...histograms.values()].flatMap((series) => series.edges.map((edges) => ({ edges }))),
            ...[...cells.values()].flatMap((cell) => (cell.histogram ? [cell.histogram] : [])),
          ])
        : null;
    const keep = new Set(runs.map((run) => run.run_id));
    for (const [runId, card] of cards) {
      if (!keep.has(runId) || (card.plot !== null) !== (kind === "histogram")) {
        releaseCard(card);
        card.root.remove();
        cards.delete(runId);
      }
    }
    const ordered = runs.map((run) => {
      let card = cards.get(run.run_id);
      if (!card) {
        card = makeCard(run);
        cards.set(run.run_id, card);
      }
      fillCard(card, kind, run, cells.get(run.run_id), chosen, histograms.get(run.run_id), theme, xRange, model);
      return card.root;
    });
    ordered.forEach((node, i) => {
      if (grid.children[i] !== node) grid.insertBefore(node, grid.children[i] ?? null);
    });
  };

  keepDrawn(
    model,
    el,
    ["key", "kind", "runs", "step", "current", "histograms", "live", "empty_message"],
    disposer,
    redraw,
  );
  return () => disposer.dispose();
}

export default { render };
