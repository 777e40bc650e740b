// lt.media()'s front end: cards per run in their stable colours, the step slider writing
// `step` back, images as blob URLs that change with the step, user strings as text only,
// and histograms drawn as a ridgeline (drawing replaced by a recorder: happy-dom has no SVG
// layout for Plotly).

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { runColor } from "../shared/colors";
import type { Figure } from "../shared/types";
import fixture from "../widgets/fixtures/media.json";
import { buildRidgeline } from "../widgets/media_figure";
import type { HistogramSeries, MediaCell, MediaState } from "../widgets/media_types";
import { allSteps, stepIndex } from "../widgets/media_types";
import { DARK, FakeModel, LIGHT, revive, XSS } from "./helpers";

const drawn = vi.hoisted(() => ({ figures: [] as { root: HTMLElement; figure: Figure }[], purged: 0 }));

vi.mock("../shared/plotly", () => ({
  plotRoot(parent: HTMLElement, disposer: { add(task: () => void): void }) {
    const root = document.createElement("div");
    parent.appendChild(root);
    disposer.add(() => drawn.purged++);
    return root;
  },
  draw(root: HTMLElement, figure: Figure) {
    drawn.figures.push({ root, figure });
    return Promise.resolve(root);
  },
}));

const { default: media } = await import("../widgets/media");

const state = (): MediaState => revive(JSON.parse(JSON.stringify(fixture))) as MediaState;
const frame = () => vi.advanceTimersByTimeAsync(16);
const fire = (target: EventTarget, type: string) => target.dispatchEvent(new Event(type, { bubbles: true }));
const srcs = (el: HTMLElement) => Array.from(el.querySelectorAll("img")).map((img) => img.getAttribute("src"));
const png = (bytes: number[]) => new DataView(Uint8Array.from([137, 80, 78, 71, ...bytes]).buffer);

let el: HTMLElement;

beforeEach(() => {
  vi.useFakeTimers();
  el = document.createElement("div");
  document.body.appendChild(el);
  drawn.figures = [];
  drawn.purged = 0;
});

afterEach(() => {
  el.remove();
  vi.useRealTimers();
});

describe("media widget", () => {
  it("shows one card per run, headed in the run's stable colour, at the chosen step", () => {
    const model = new FakeModel(state());
    const cleanup = media.render({ model, el });
    const cards = Array.from(el.querySelectorAll<HTMLElement>(".lt-media-card"));
    const runs = model.get("runs");
    expect(cards.map((card) => card.dataset.runId)).toEqual(runs.map((run) => run.run_id));
    expect(cards.map((card) => card.querySelector(".lt-media-run")!.textContent)).toEqual(["a", "b"]);
    const swatch = cards[0].querySelector<HTMLElement>(".lt-media-swatch")!;
    expect(swatch.style.background).toBe(runColor(runs[0].run_id));
    expect(el.querySelector(".lt-media-key")!.textContent).toBe("samples");
    const slider = el.querySelector<HTMLInputElement>('input[type="range"]')!;
    expect([slider.max, slider.value]).toEqual(["2", "2"]);
    expect(srcs(el).every((src) => src?.startsWith("blob:"))).toBe(true);
    expect(srcs(el)).toHaveLength(2);
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.childElementCount).toBe(0);
  });

  it("asks the kernel for the step dragged to, and swaps the images it sends back", async () => {
    const model = new FakeModel(state());
    const cleanup = media.render({ model, el });
    const before = srcs(el);
    const revoked = vi.spyOn(URL, "revokeObjectURL");
    const slider = el.querySelector<HTMLInputElement>('input[type="range"]')!;
    slider.value = "0";
    fire(slider, "input"); // dragging: the label follows at once, the kernel is asked soon after
    expect(el.querySelector(".lt-media-step-label")!.textContent).toBe("0");
    slider.value = "1";
    fire(slider, "input");
    expect(el.querySelector(".lt-media-step-label")!.textContent).toBe("1");
    expect(model.saves).toBe(0);
    await vi.advanceTimersByTimeAsync(150);
    expect([model.get("step"), model.saves]).toEqual([1, 1]);
    fire(slider, "change"); // released on the step already asked for: nothing more to send
    expect(model.saves).toBe(1);
    // The kernel answers with step 1's payload; run "b" has none there and shows its step 0.
    const current: MediaCell[] = model.get("current").map((cell, i) => ({
      ...cell,
      step: i === 0 ? 1 : 0,
      data: png([i, 1, 2]),
    }));
    model.set("current", current);
    await frame();
    const after = srcs(el);
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    expect(revoked).toHaveBeenCalledWith(before[0]);
    const notes = Array.from(el.querySelectorAll(".lt-media-step")).map((n) => n.textContent);
    expect(notes).toEqual(["step 1", "step 0 (latest ≤ 1)"]);
    // The same payload again (a poll with nothing new) keeps the images as they are.
    model.set(
      "current",
      current.map((cell) => ({ ...cell })),
    );
    await frame();
    expect(srcs(el)).toEqual(after);
    el.querySelector<HTMLButtonElement>('[aria-label="previous step"]')!.click();
    expect(model.get("step")).toBe(0);
    cleanup();
    expect(revoked).toHaveBeenCalledWith(after[1]);
    revoked.mockRestore();
  });

  it("puts run names, texts and table cells in as text, never as HTML", () => {
    const base = state();
    const runs = base.runs.map((run) => ({ ...run, run_name: XSS }));
    const texts: MediaCell[] = base.current.map((cell) => ({ ...cell, data: null, text: XSS }));
    const tables: MediaCell[] = base.current.map((cell) => ({
      ...cell,
      data: null,
      table: {
        columns: [XSS, "n"],
        data: [
          [XSS, 1],
          [null, { a: 1 }],
        ],
        total_rows: 300,
      },
      note: "first 2 of 300 rows",
    }));
    const model = new FakeModel({ ...base, kind: "text" as const, runs, current: texts });
    const cleanup = media.render({ model, el });
    expect(el.querySelector(".lt-media-text")!.textContent).toBe(XSS);
    expect(el.querySelector(".lt-media-run")!.textContent).toBe(XSS);
    cleanup();
    const tableModel = new FakeModel({ ...base, kind: "table" as const, runs, key: XSS, current: tables });
    const cleanupTables = media.render({ model: tableModel, el });
    const cells = Array.from(el.querySelectorAll(".lt-media-table td")).map((td) => td.textContent);
    expect(cells.slice(0, 4)).toEqual([XSS, "1", "", '{"a":1}']);
    expect(el.querySelector(".lt-media-table th")!.textContent).toBe(XSS);
    expect(el.querySelector(".lt-media-card .lt-footnote")!.textContent).toBe("first 2 of 300 rows");
    expect(el.querySelector("img")).toBeNull();
    cleanupTables();
  });

  it("plays audio from the clip's bytes", () => {
    const base = state();
    const model = new FakeModel({ ...base, kind: "audio" as const });
    const cleanup = media.render({ model, el });
    const players = el.querySelectorAll("audio");
    expect(players).toHaveLength(2);
    expect(players[0].getAttribute("src")).toMatch(/^blob:/);
    expect(players[0].hasAttribute("controls")).toBe(true);
    cleanup();
  });

  it("draws each run's histograms over steps with the chosen step on top", async () => {
    const base = state();
    const series: HistogramSeries[] = base.runs.map((run, i) => ({
      run_id: run.run_id,
      steps: [0, 5, 10],
      edges: [
        [0, 1, 2],
        [1, 2, 3],
        [2, 3, 4 + 10 * i], // the second run's values reach further
      ],
      counts: [
        [1, 3],
        [2, 2],
        [3, 1],
      ],
    }));
    const histogram = { edges: [1, 2, 3], counts: [2, 2], count: 4, min: 1, max: 3, sum: 8 };
    const current = base.current.map((cell) => ({ ...cell, data: null, step: 5, histogram }));
    const model = new FakeModel({
      ...base,
      kind: "histogram" as const,
      runs: base.runs.map((run) => ({ ...run, steps: [0, 5, 10] })),
      step: 5,
      current,
      histograms: series,
    });
    const cleanup = media.render({ model, el });
    expect(drawn.figures).toHaveLength(2);
    const figure = drawn.figures[0].figure;
    expect(figure.data).toHaveLength(4); // three steps and the chosen one
    expect((figure.data.at(-1)!.line as { color: string }).color).toBe(runColor(base.runs[0].run_id));
    // both runs' plots share one x range: every value either shows
    expect(drawn.figures.map((d) => (d.figure.layout.xaxis as { range: number[] }).range)).toEqual([
      [0, 14],
      [0, 14],
    ]);
    model.set("step", 10);
    await frame();
    expect(drawn.figures).toHaveLength(4); // redrawn in the same plots
    expect(new Set(drawn.figures.map((d) => d.root)).size).toBe(2);
    cleanup();
    expect(drawn.purged).toBe(2);
  });

  it("shows the empty message, and no slider to move, when nothing is logged", () => {
    const model = new FakeModel({
      ...state(),
      runs: [],
      current: [],
      kind: "" as const,
      empty_message: "No run in 'media' has media under 'samples' yet.",
    });
    const cleanup = media.render({ model, el });
    expect(el.querySelector(".lt-empty")!.textContent).toBe("No run in 'media' has media under 'samples' yet.");
    expect(el.querySelector<HTMLElement>(".lt-media-grid")!.hidden).toBe(true);
    expect(el.querySelector<HTMLInputElement>('input[type="range"]')!.disabled).toBe(true);
    cleanup();
  });
});

describe("media helpers", () => {
  it("index the steps of every run and place a step on the slider", () => {
    const steps = allSteps([
      { run_id: "a", run_name: "a", status: "FINISHED", steps: [0, 10, 20] },
      { run_id: "b", run_name: "b", status: "FINISHED", steps: [5, 10] },
    ]);
    expect(steps).toEqual([0, 5, 10, 20]);
    expect([stepIndex(steps, 10), stepIndex(steps, 12), stepIndex(steps, 0), stepIndex(steps, 99)]).toEqual([
      2, 2, 0, 3,
    ]);
  });

  it("lay the ridgeline out oldest at the back, newest in front, in the theme", () => {
    const series: HistogramSeries = {
      run_id: "r",
      steps: [0, 10],
      edges: [
        [0, 1, 2],
        [0, 1, 2],
      ],
      counts: [
        [4, 0],
        [0, 4],
      ],
    };
    for (const theme of [LIGHT, DARK]) {
      const figure = buildRidgeline(series, null, "#1f77b4", theme);
      expect(figure.data).toHaveLength(2);
      expect(figure.data.map((trace) => trace.fillcolor)).toEqual([theme.background, theme.background]);
      const yaxis = figure.layout.yaxis as { autorange: string };
      expect(yaxis.autorange).toBe("reversed");
      const [older, newer] = figure.data.map((trace) => trace.y as number[]);
      expect(Math.min(...older)).toBeLessThan(0); // a peak reaches up, above its step
      expect(Math.max(...newer)).toBe(10);
      const alphas = figure.data.map((trace) => (trace.line as { color: string }).color);
      expect(alphas[0]).not.toBe(alphas[1]); // older curves are fainter
    }
  });
});
