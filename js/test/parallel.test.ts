// lt.parallel(): the figure (pure), brushes -> selection, and the widget's wiring with drawing
// replaced by a recorder (no DOM implementation lays out Plotly's SVG and WebGL).

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Figure } from "../shared/types";
import fixture from "../widgets/fixtures/parallel.json";
import {
  type Brush,
  brushesOf,
  dimensionOf,
  type ParallelState,
  parallelFigure,
  runsInBrushes,
} from "../widgets/parallel_figure";
import { DARK, FakeModel, LIGHT, XSS } from "./helpers";

const drawn = vi.hoisted(() => ({
  figures: [] as Figure[],
  handlers: new Map<string, (data: unknown) => void>(),
  root: null as null | { data?: unknown },
}));

vi.mock("../shared/plotly", () => ({
  plotRoot(parent: HTMLElement) {
    const root = document.createElement("div");
    parent.appendChild(root);
    return root;
  },
  draw(root: HTMLElement, figure: Figure) {
    drawn.figures.push(figure);
    // Plotly keeps the drawn traces on the element, and updates them in place as brushes change.
    const element = Object.assign(root, {
      data: figure.data,
      on: (event: string, handler: (data: unknown) => void) => drawn.handlers.set(event, handler),
    });
    drawn.root = element;
    return Promise.resolve(element);
  },
}));

const { default: parallel } = await import("../widgets/parallel");

const state = (): ParallelState => JSON.parse(JSON.stringify(fixture)) as ParallelState;
type Trace = {
  type: string;
  dimensions: { label: string; values: number[]; ticktext?: string[]; constraintrange?: Brush }[];
  line: { color: number[]; colorscale: unknown; showscale: boolean };
  unselected: { line: { color: string } };
};
const trace = (figure: Figure | null) => figure?.data[0] as Trace;

describe("parallelFigure", () => {
  it("draws one axis per param, the metric last, lines coloured by the metric", () => {
    const s = state();
    const t = trace(parallelFigure(s, LIGHT));
    expect(t.type).toBe("parcoords");
    expect(t.dimensions.map((d) => d.label)).toEqual(["lr (log)", "optimizer", "acc"]); // 0.001 to 0.3
    expect(t.dimensions[1]!.ticktext).toEqual(["adam", "sgd"]);
    expect(t.dimensions[1]!.values).toEqual(s.axes[1]!.values.map((v) => (v === "adam" ? 0 : 1)));
    expect(t.line.color).toEqual(s.axes[2]!.values);
    expect(t.line.showscale).toBe(true);
  });

  it("draws positive numbers spanning decades on a log axis labelled in their own units", () => {
    const dim = dimensionOf("lr", "number", [1e-5, 3e-4, 0.1, null]);
    expect(dim.label).toBe("lr (log)");
    expect(dim.values.slice(0, 3).map((v) => Math.round(v * 100) / 100)).toEqual([-5, -3.52, -1]);
    expect(dim.values[3]).toBeNaN();
    expect(dim.ticktext).toEqual(["1e-5", "1e-4", "0.001", "0.01", "0.1"]); // the ends are powers
    expect(dimensionOf("lr", "number", [0.00015, 0.095]).ticktext).toEqual(["0.00015", "0.001", "0.01", "0.095"]);
    expect(dimensionOf("batch", "number", [16, 32, 128]).label).toBe("batch"); // under 2 decades
    expect(dimensionOf("delta", "number", [-1, 0.001, 10]).label).toBe("delta"); // not all positive
    const s = state();
    s.axes[0] = { ...s.axes[0]!, values: [1e-4, 1e-3, 1e-2, 1e-1] };
    expect(runsInBrushes(s, [[-3.5, -1.5], null, null])).toEqual(s.runs.run_id.slice(1, 3)); // log units
  });

  it("escapes Plotly markup in labels and categories", () => {
    const dim = dimensionOf(XSS, "category", [XSS, null]);
    expect(dim.label).not.toContain("<");
    expect(dim.ticktext).toEqual(["(none)", "&lt;img src=x onerror=alert(1)&gt;"]);
  });

  it("uses a colour scale that reads on the dark theme, and a grey for runs left out", () => {
    const light = trace(parallelFigure(state(), LIGHT));
    const dark = trace(parallelFigure(state(), DARK));
    expect(light.line.colorscale).toBe("Viridis");
    expect(Array.isArray(dark.line.colorscale)).toBe(true);
    expect(dark.unselected.line.color).not.toBe(light.unselected.line.color);
  });

  it("shows a selection made elsewhere: its runs in colour, the others at the grey low end", () => {
    const s = state();
    s.selected = [s.runs.run_id[0]!];
    const t = trace(parallelFigure(s, LIGHT));
    expect(t.line.showscale).toBe(false);
    const [chosen, ...others] = t.line.color;
    expect(chosen).toBeGreaterThan(0.12);
    expect(others.every((v) => v === 0)).toBe(true);
    const scale = t.line.colorscale as [number, string][];
    expect(scale[0]![1]).toBe(t.unselected.line.color);
  });

  it("keeps the brushes it is given, and draws nothing without runs or params", () => {
    const t = trace(parallelFigure(state(), LIGHT, [null, [0.5, 1.5], null]));
    expect(t.dimensions[1]!.constraintrange).toEqual([0.5, 1.5]);
    expect(t.dimensions[0]!.constraintrange).toBeUndefined();
    expect(parallelFigure({ ...state(), runs: { run_id: [], run_name: [] }, axes: [] }, LIGHT)).toBeNull();
  });
});

describe("runsInBrushes", () => {
  it("keeps the runs inside every brush (several ranges on one axis count as one or the other)", () => {
    const s = state();
    s.axes[0] = { ...s.axes[0]!, values: [0.3, 0.01, 0.1, 0.005] }; // within 2 decades: linear
    const ids = s.runs.run_id;
    const lr = s.axes[0]!.values as number[];
    const sgd = (s.axes[1]!.values as string[]).map((v) => v === "sgd");
    expect(runsInBrushes(s, [null, [0.5, 1.5], null])).toEqual(ids.filter((_, i) => sgd[i]));
    expect(runsInBrushes(s, [[0.2, 0.4], [0.5, 1.5], null])).toEqual(ids.filter((_, i) => sgd[i] && lr[i]! >= 0.2));
    expect(
      runsInBrushes(s, [
        [
          [0, 0.006],
          [0.05, 0.2],
        ],
        null,
        null,
      ]),
    ).toEqual(ids.filter((_, i) => lr[i]! <= 0.006 || (lr[i]! >= 0.05 && lr[i]! <= 0.2)));
    expect(runsInBrushes(s, [null, null, null])).toEqual([]);
  });

  it("reads Plotly's constraint ranges", () => {
    expect(brushesOf([{}, { constraintrange: [1, 2] }, { constraintrange: [] }])).toEqual([null, [1, 2], null]);
    expect(brushesOf(undefined)).toEqual([]);
  });
});

describe("parallel widget", () => {
  let el: HTMLElement;
  const frame = () => vi.advanceTimersByTimeAsync(16);

  beforeEach(() => {
    vi.useFakeTimers();
    el = document.createElement("div");
    document.body.appendChild(el);
    drawn.figures = [];
    drawn.handlers.clear();
  });
  afterEach(() => {
    el.remove();
    vi.useRealTimers();
  });

  it("a brush selects the runs inside it, clearing it clears the selection", async () => {
    const model = new FakeModel(state());
    const cleanup = parallel.render({ model, el });
    await frame();
    const dims = (drawn.root!.data as Trace[])[0]!.dimensions;
    dims[1]!.constraintrange = [0.5, 1.5]; // what Plotly does on a drag along "optimizer"
    drawn.handlers.get("plotly_restyle")!([{ "dimensions[1].constraintrange": [[0.5, 1.5]] }, [0]]);
    const sgd = state().runs.run_id.filter((_, i) => state().axes[1]!.values[i] === "sgd");
    expect(model.get("selected")).toEqual(sgd);
    expect(model.saves).toBe(1);
    await frame();
    expect(el.querySelector(".lt-count")!.textContent).toBe("4 runs · 2 selected");
    const last = trace(drawn.figures[drawn.figures.length - 1]!);
    expect(last.dimensions[1]!.constraintrange).toEqual([0.5, 1.5]); // the brush stays drawn
    const again = (drawn.root!.data as Trace[])[0]!.dimensions;
    delete again[1]!.constraintrange;
    drawn.handlers.get("plotly_restyle")!([{ "dimensions[1].constraintrange": null }, [0]]);
    expect(model.get("selected")).toEqual([]);
    cleanup();
    expect(model.listenerCount()).toBe(0);
  });

  it("a selection from a linked table replaces the brushes; Clear empties it", async () => {
    const model = new FakeModel(state());
    const cleanup = parallel.render({ model, el });
    await frame();
    const first = state().runs.run_id[0]!;
    model.set("selected", [first]);
    await frame();
    const t = trace(drawn.figures[drawn.figures.length - 1]!);
    expect(t.dimensions.every((d) => d.constraintrange === undefined)).toBe(true);
    expect(t.line.showscale).toBe(false);
    const clear = el.querySelector<HTMLButtonElement>("button")!;
    expect(clear.hidden).toBe(false);
    clear.click();
    expect(model.get("selected")).toEqual([]);
    cleanup();
  });

  it("shows the empty message when there is nothing to draw", () => {
    const model = new FakeModel({
      ...state(),
      axes: [],
      runs: { run_id: [], run_name: [] },
      empty_message: "These runs log no params.",
    });
    const cleanup = parallel.render({ model, el });
    expect(el.querySelector(".lt-empty")!.textContent).toBe("These runs log no params.");
    expect(drawn.figures).toHaveLength(0);
    cleanup();
  });
});
