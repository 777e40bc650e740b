// The Plotly widgets' DOM and model wiring, with drawing replaced by a recorder (neither
// jsdom nor happy-dom can lay out SVG for Plotly).

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Figure } from "../shared/types";
import { FakeModel, fixtures } from "./helpers";

const drawn = vi.hoisted(() => ({
  figures: [] as { root: HTMLElement; figure: Figure }[],
  handlers: new Map<string, (data: unknown) => void>(),
  purged: 0,
}));

vi.mock("../shared/plotly", () => ({
  plotRoot(parent: HTMLElement, disposer: { add(task: () => void): void }) {
    const root = document.createElement("div");
    parent.appendChild(root);
    disposer.add(() => drawn.purged++);
    return root;
  },
  draw(root: HTMLElement, figure: Figure) {
    drawn.figures.push({ root, figure });
    return Promise.resolve(
      Object.assign(root, {
        on: (event: string, handler: (data: unknown) => void) => drawn.handlers.set(event, handler),
      }),
    );
  },
}));

const { default: metricChart } = await import("../widgets/metric_chart");
const { default: scatter } = await import("../widgets/scatter");
const { default: compare } = await import("../widgets/compare");

let el: HTMLElement;
// Fake timers: one animation frame passes on demand, then the promises it settled (the draws).
const frame = () => vi.advanceTimersByTimeAsync(16);
const change = (input: HTMLInputElement | HTMLSelectElement, type = "change") =>
  input.dispatchEvent(new Event(type, { bubbles: true }));

beforeEach(() => {
  vi.useFakeTimers();
  el = document.createElement("div");
  document.body.appendChild(el);
  drawn.figures = [];
  drawn.handlers.clear();
  drawn.purged = 0;
});

afterEach(() => {
  el.remove();
  vi.useRealTimers();
});

describe("metric_chart widget", () => {
  it("draws, shows live and the downsampling note, and writes the toolbar back", async () => {
    const model = new FakeModel(fixtures.metricChart());
    const cleanup = metricChart.render({ model, el });
    expect(drawn.figures).toHaveLength(1);
    expect(el.querySelector<HTMLElement>(".lt-live")!.hidden).toBe(false);
    expect(el.querySelector(".lt-footnote")!.textContent).toContain("downsampled");

    const select = el.querySelector<HTMLSelectElement>("select")!;
    select.value = "wall";
    change(select);
    expect(model.get("x_axis")).toBe("wall");

    const slider = el.querySelector<HTMLInputElement>('input[type="range"]')!;
    slider.value = "0.6";
    change(slider, "input");
    expect(model.get("smoothing")).toBe(0.6);
    const saves = model.saves;
    change(slider);
    expect(model.saves).toBe(saves + 1); // sent once, on release

    const logY = el.querySelector<HTMLInputElement>('input[type="checkbox"]')!;
    logY.checked = true;
    change(logY);
    expect(model.get("log_y")).toBe(true);

    await frame(); // changes are drawn once per frame
    const last = drawn.figures.at(-1)!.figure;
    expect((last.layout.yaxis as { type: string }).type).toBe("log");
    expect(last.data).toHaveLength(6); // raw + smoothed per series
    expect(el.querySelector(".lt-slider-value")!.textContent).toBe("0.60");

    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(drawn.purged).toBe(1);
    expect(el.childElementCount).toBe(0);
  });

  it("draws groups with their bands when group_by is set, and runs again without it", async () => {
    const group = {
      group: "adam",
      metric: "loss",
      runs: 2,
      x: [0, 1],
      mean: [2, 3],
      low: [1, 2],
      high: [3, 4],
      points: 2,
    };
    const model = new FakeModel({ ...fixtures.metricChart(), group_by: "params.optimizer", groups: [group] });
    const cleanup = metricChart.render({ model, el });
    const figure = drawn.figures.at(-1)!.figure;
    expect(figure.data.map((t) => t.fill)).toEqual([undefined, "tonexty", undefined]);
    expect(figure.data[2]!.name).toBe("adam (2 runs)");
    expect(el.querySelector<HTMLElement>(".lt-group-label")!.textContent).toBe("grouped by params.optimizer");
    expect(el.querySelector("select")!.closest("label")!.hidden).toBe(true); // steps only
    expect(el.querySelector(".lt-footnote")!.textContent).toContain("min to max");

    model.set("group_by", "");
    await frame();
    expect(drawn.figures.at(-1)!.figure.data.every((t) => t.fill === undefined)).toBe(true);
    expect(el.querySelector<HTMLElement>(".lt-group-label")!.hidden).toBe(true);
    cleanup();
  });

  it("shows the empty message when there is nothing to draw", () => {
    const model = new FakeModel({
      ...fixtures.metricChart(),
      series: [],
      live: false,
      empty_message: "No run logs 'loss' yet.",
    });
    const cleanup = metricChart.render({ model, el });
    expect(drawn.figures).toHaveLength(0);
    expect(el.querySelector(".lt-empty")!.textContent).toBe("No run logs 'loss' yet.");
    expect(el.querySelector<HTMLElement>(".lt-live")!.hidden).toBe(true);
    cleanup();
  });
});

describe("scatter widget", () => {
  it("toggles a clicked point's run in selected", async () => {
    const model = new FakeModel(fixtures.scatter());
    const cleanup = scatter.render({ model, el });
    await frame();
    const click = drawn.handlers.get("plotly_click")!;
    click({ points: [{ customdata: ["a1", "run-10"] }] });
    expect(model.get("selected")).toEqual(["d4", "a1"]);
    click({ points: [{ customdata: ["d4", "baseline"] }] });
    expect(model.get("selected")).toEqual(["a1"]);
    expect(model.saves).toBe(2);
    expect(el.querySelector(".lt-count")!.textContent).toBe("4 runs · 1 selected");
    cleanup();
    expect(model.listenerCount()).toBe(0);
  });

  it("disables log scales on category axes", () => {
    const model = new FakeModel({ ...fixtures.scatter(), x_kind: "category" as const });
    const cleanup = scatter.render({ model, el });
    const [logX, logY] = Array.from(el.querySelectorAll<HTMLInputElement>('input[type="checkbox"]'));
    expect(logX!.disabled).toBe(true);
    expect(logY!.disabled).toBe(false);
    logY!.checked = true;
    change(logY!);
    expect(model.get("log_y")).toBe(true);
    cleanup();
  });
});

describe("compare widget", () => {
  it("renders tables, curves and parallel coordinates; the metric select writes back", () => {
    const model = new FakeModel(fixtures.compare());
    const cleanup = compare.render({ model, el });
    expect(el.querySelectorAll("table")).toHaveLength(2);
    expect(el.querySelector("img")).toBeNull();
    expect(drawn.figures.map((d) => (d.figure.data[0] as { type: string }).type)).toEqual(["scatter", "parcoords"]);
    const select = el.querySelector<HTMLSelectElement>("select")!;
    expect(Array.from(select.options).map((o) => o.value)).toEqual(["acc", "loss"]);
    expect(select.value).toBe("loss");
    select.value = "acc";
    change(select);
    expect(model.get("metric")).toBe("acc");
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(drawn.purged).toBe(2);
  });
});
