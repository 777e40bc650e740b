// lt.monitor()'s chart: the figure (pure) on the kernel's fixture, and the widget's wiring with
// drawing replaced by a recorder (no DOM implementation lays out Plotly's SVG).

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Figure } from "../shared/types";
import fixture from "../widgets/fixtures/monitor.json";
import { driftedWindows, featureColor, type MonitorState, monitorFigure, summary } from "../widgets/monitor_figure";
import { DARK, FakeModel, LIGHT, XSS } from "./helpers";

const drawn = vi.hoisted(() => ({ figures: [] as Figure[] }));

vi.mock("../shared/plotly", () => ({
  plotRoot(parent: HTMLElement) {
    const root = document.createElement("div");
    parent.appendChild(root);
    return root;
  },
  draw(root: HTMLElement, figure: Figure) {
    drawn.figures.push(figure);
    return Promise.resolve(root);
  },
}));

const { default: monitor } = await import("../widgets/monitor");

const state = (): MonitorState => JSON.parse(JSON.stringify(fixture)) as MonitorState;
type Trace = {
  name: string;
  yaxis: string;
  x: number[];
  y: (number | null)[];
  line?: { color: string; dash: string };
  showlegend?: boolean;
};
type Shape = { type: string; x0: number; x1: number; y0: number; yref: string; fillcolor?: string };
const traces = (figure: Figure | null) => (figure?.data ?? []) as Trace[];
const shapes = (figure: Figure | null) => (figure?.layout.shapes ?? []) as Shape[];
const HOUR = 3_600_000;

describe("monitorFigure", () => {
  it("draws PSI and p-value per feature at the middle of each window, the prediction dotted", () => {
    const s = state();
    const figure = monitorFigure(s, LIGHT);
    const psi = traces(figure).filter((t) => t.yaxis === "y" && t.name !== "drifted");
    expect(psi.map((t) => t.name)).toEqual(["x", "colour", "prediction"]);
    const x = s.features[0]!;
    expect(psi[0]!.x).toEqual(x.window_start.map((start) => start + HOUR / 2));
    expect(psi[0]!.y).toEqual(x.psi);
    expect(psi.map((t) => t.line!.color)).toEqual([0, 1, 2].map(featureColor));
    expect(new Set(Array.from({ length: 9 }, (_, i) => featureColor(i))).size).toBe(9); // all differ
    expect(psi[2]!.line!.dash).toBe("dot");
    const p = traces(figure).filter((t) => t.yaxis === "y2" && t.name === "x")[0]!;
    expect(p.y[3]).toBeCloseTo(1e-9);
    expect(p.showlegend).toBe(false); // one legend entry per feature
    expect((figure!.layout.yaxis2 as { type: string }).type).toBe("log");
  });

  it("draws the thresholds across and shades the drifted windows, marking their points", () => {
    const s = state();
    const figure = monitorFigure(s, LIGHT);
    const lines = shapes(figure).filter((sh) => sh.type === "line");
    expect(lines.map((l) => [l.yref, l.y0])).toEqual([
      ["y", 0.2],
      ["y2", 0.01],
    ]);
    const start = s.features[0]!.window_start;
    const rects = shapes(figure).filter((sh) => sh.type === "rect");
    expect(rects.map((r) => [r.x0, r.x1])).toEqual([
      [start[2], start[2]! + HOUR],
      [start[3], start[3]! + HOUR],
    ]);
    const marks = traces(figure).filter((t) => t.name === "drifted");
    expect(marks.map((t) => t.yaxis)).toEqual(["y", "y2"]);
    expect(marks[0]!.y).toEqual([0.9, 0.9]);
    expect(driftedWindows(s)).toEqual([
      [start[2], ["x"]],
      [start[3], ["x"]],
    ]);
  });

  it("adds the live accuracy row only where labels came back", () => {
    const s = state();
    const acc = traces(monitorFigure(s, LIGHT)).find((t) => t.name === "live accuracy")!;
    expect(acc.yaxis).toBe("y3");
    expect(acc.y).toEqual([0.95, 0.95, 0.6, 0.6]);
    s.accuracy = { window_start: [], accuracy: [], n: [] };
    const without = monitorFigure(s, LIGHT)!;
    expect(traces(without).some((t) => t.yaxis === "y3")).toBe(false);
    expect((without.layout.grid as { rows: number }).rows).toBe(2);
  });

  it("follows the theme: the drift colour is lighter on dark", () => {
    const light = shapes(monitorFigure(state(), LIGHT)).find((sh) => sh.type === "rect")!;
    const dark = shapes(monitorFigure(state(), DARK)).find((sh) => sh.type === "rect")!;
    expect(light.fillcolor).not.toBe(dark.fillcolor);
  });

  it("escapes Plotly markup in feature names", () => {
    const s = state();
    s.features[0]!.feature = XSS;
    const names = traces(monitorFigure(s, LIGHT)).map((t) => t.name);
    expect(names.join()).not.toContain("<img");
    expect(summary(s)).toContain(XSS); // the toolbar sets it as text, never as markup
  });

  it("says how many windows drifted, and which features", () => {
    expect(summary(state())).toBe("2 features · 2 of 4 windows drifted (x)");
    const calm = state();
    for (const f of calm.features) f.drifted = f.drifted.map(() => false);
    expect(summary(calm)).toBe("2 features · no drift in 4 windows");
    expect(monitorFigure({ ...calm, features: [] }, LIGHT)).toBeNull();
  });
});

describe("monitor widget", () => {
  let el: HTMLElement;
  const frame = () => vi.advanceTimersByTimeAsync(16);

  beforeEach(() => {
    vi.useFakeTimers();
    el = document.createElement("div");
    document.body.appendChild(el);
    drawn.figures = [];
  });
  afterEach(() => {
    el.remove();
    vi.useRealTimers();
  });

  it("draws, says what drifted, redraws when the kernel sends later windows, and cleans up", async () => {
    const model = new FakeModel(state());
    const cleanup = monitor.render({ model, el });
    expect(drawn.figures).toHaveLength(1);
    expect(el.querySelector(".lt-monitor-title")!.textContent).toBe("drift of iris-prod");
    expect(el.querySelector(".lt-monitor")!.getAttribute("data-drifted")).toBe("2");
    const calm = state().features.map((f) => ({ ...f, drifted: f.drifted.map(() => false) }));
    model.set("features", calm);
    await frame();
    expect(drawn.figures).toHaveLength(2);
    expect(el.querySelector(".lt-monitor-summary")!.textContent).toContain("no drift");
    expect(el.querySelector(".lt-monitor")!.getAttribute("data-drifted")).toBe("0");
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.children).toHaveLength(0);
  });

  it("shows the empty message when there is no window", () => {
    const model = new FakeModel({ ...state(), features: [], empty_message: "No predictions yet." });
    const cleanup = monitor.render({ model, el });
    expect(drawn.figures).toHaveLength(0);
    const empty = el.querySelector<HTMLElement>(".lt-empty")!;
    expect(empty.hidden).toBe(false);
    expect(empty.textContent).toBe("No predictions yet.");
    cleanup();
  });
});
