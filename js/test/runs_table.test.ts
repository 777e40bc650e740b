import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { RunsTableState } from "../shared/types";
import widget, { HEADER_HEIGHT, ROW_HEIGHT } from "../widgets/runs_table";
import { FakeModel, fixtures, XSS } from "./helpers";

let el: HTMLElement;
const cleanups: (() => void)[] = [];

function mount(state: RunsTableState = fixtures.runsTable()): FakeModel<RunsTableState> {
  const model = new FakeModel(state);
  cleanups.push(widget.render({ model, el }));
  return model;
}

function manyRuns(count: number): RunsTableState {
  const state = fixtures.runsTable();
  state.data = {
    run_id: Array.from({ length: count }, (_, i) => `id${i}`),
    run_name: Array.from({ length: count }, (_, i) => `run-${i}`),
    status: Array.from({ length: count }, (_, i) => (i % 3 ? "FINISHED" : "RUNNING")),
    start_time: Array.from({ length: count }, (_, i) => 1714563907000 + i * 1000),
    duration: Array.from({ length: count }, (_, i) => i),
    "metrics.acc": Array.from({ length: count }, (_, i) => (i % 10 === 0 ? null : ((i * 37) % 101) / 100)),
  };
  state.visible_columns = ["run_name", "status", "start_time", "duration", "metrics.acc"];
  return state;
}

const rows = () => Array.from(el.querySelectorAll<HTMLElement>(".lt-tr"));
const rowNames = () =>
  rows()
    .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
    .map((r) => r.querySelector(".lt-td")!.textContent);
const header = (name: string) => el.querySelector<HTMLElement>(`.lt-th[data-column="${name}"]`)!;
const click = (target: Element, init: MouseEventInit = {}) =>
  target.dispatchEvent(new MouseEvent("click", { bubbles: true, ...init }));
const key = (target: Element, k: string, init: KeyboardEventInit = {}) =>
  target.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, ...init }));

beforeEach(() => {
  el = document.createElement("div");
  document.body.appendChild(el);
});

afterEach(() => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0)) cleanup();
  el.remove();
});

describe("runs_table", () => {
  it("renders the fixture: header labels, formatted cells, badges, count", () => {
    mount();
    expect(Array.from(el.querySelectorAll(".lt-th-label")).map((h) => h.textContent)).toEqual([
      "run",
      "status",
      "started",
      "duration",
      "acc",
      "loss",
      "lr",
      "optimizer",
    ]);
    expect(rows()).toHaveLength(5);
    const first = rows().find((r) => r.dataset.index === "0")!;
    const cells = Array.from(first.querySelectorAll(".lt-td")).map((c) => c.textContent);
    expect(cells[0]).toBe("run-10");
    expect(cells[1]).toBe("finished");
    expect(cells[3]).toBe("1m 05s");
    expect(cells[4]).toBe("0.91");
    expect(first.querySelector(".lt-badge.lt-status-finished")).not.toBeNull();
    expect(el.querySelector(".lt-status-failed")).not.toBeNull();
    expect(el.querySelector(".lt-countline")!.textContent).toBe("5 runs");
  });

  it("shows a float32 param in its shortest form, the stored value in the title", () => {
    const state = fixtures.runsTable();
    state.data["params.lr"]![0] = "0.0010000000474974513";
    mount(state);
    const first = rows().find((r) => r.dataset.index === "0")!;
    const index = state.visible_columns.indexOf("params.lr");
    const cell = first.querySelectorAll<HTMLElement>(".lt-td")[index]!;
    expect(cell.textContent).toBe("0.001");
    expect(cell.title).toBe("0.0010000000474974513");
  });

  it("shows a run name full of markup as text", () => {
    mount();
    expect(el.querySelector("img")).toBeNull();
    expect(rowNames()).toContain(XSS);
  });

  it("renders only a window of 10,000 rows and follows the scroll", () => {
    vi.useFakeTimers();
    mount(manyRuns(10_000));
    expect(rows().length).toBeGreaterThan(10);
    expect(rows().length).toBeLessThan(100);
    expect(el.querySelector<HTMLElement>(".lt-tbody")!.style.height).toBe(`${10_000 * ROW_HEIGHT}px`);
    expect(el.querySelector(".lt-countline")!.textContent).toBe("10,000 runs");

    const scroller = el.querySelector<HTMLElement>(".lt-scroll")!;
    scroller.scrollTop = 5000 * ROW_HEIGHT;
    scroller.dispatchEvent(new Event("scroll"));
    expect(rows().map((r) => Number(r.dataset.index))).not.toContain(5000); // drawn at the next frame
    vi.advanceTimersToNextFrame();
    const indices = rows().map((r) => Number(r.dataset.index));
    expect(indices.length).toBeLessThan(100);
    expect(Math.min(...indices)).toBeGreaterThan(4980);
    expect(indices).toContain(5000);
    const row5000 = rows().find((r) => r.dataset.index === "5000")!;
    expect(row5000.style.transform).toBe(`translateY(${5000 * ROW_HEIGHT}px)`);
    expect(row5000.querySelector(".lt-td")!.textContent).toBe("run-5000");
  });

  it("sorts on header click (nulls last) and multi-sorts on shift-click", () => {
    const model = mount();
    click(header("metrics.acc"));
    expect(model.get("sort")).toEqual([{ column: "metrics.acc", descending: false }]);
    expect(model.saves).toBe(1);
    expect(rowNames()).toEqual([XSS, "run-1", "run-10", "baseline", "run-2"]);
    expect(header("metrics.acc").getAttribute("aria-sort")).toBe("ascending");
    click(header("metrics.acc"));
    expect(rowNames()).toEqual(["baseline", "run-10", "run-1", XSS, "run-2"]);
    click(header("params.optimizer"));
    click(header("run_name"), { shiftKey: true });
    expect(model.get("sort")).toEqual([
      { column: "params.optimizer", descending: false },
      { column: "run_name", descending: false },
    ]);
    expect(rowNames()).toEqual([XSS, "run-1", "run-10", "baseline", "run-2"]);
    expect(header("run_name").querySelector(".lt-sort")!.textContent).toBe(" ▲2");
  });

  it("applies the filter on Enter and shows the kernel's error under it", () => {
    const model = mount();
    const input = el.querySelector<HTMLInputElement>(".lt-filter")!;
    input.value = "metrics.acc > ";
    key(input, "a");
    expect(model.get("filter")).toBe("");
    key(input, "Enter");
    expect(model.get("filter")).toBe("metrics.acc >");
    expect(model.saves).toBe(1);
    const error = el.querySelector<HTMLElement>(".lt-error")!;
    expect(error.hidden).toBe(true);
    model.set("error", "expected a value after '>'");
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("expected a value after '>'");
    expect(input.classList.contains("lt-invalid")).toBe(true);
    model.set("error", "");
    expect(error.hidden).toBe(true);
  });

  it("selects rows: click, ctrl-click toggle, shift-click range, highlighted", () => {
    const model = mount();
    const at = (i: number) =>
      rows()
        .find((r) => r.dataset.index === String(i))!
        .querySelector(".lt-td")!;
    click(at(1));
    expect(model.get("selected")).toEqual(["b2"]);
    click(at(3), { ctrlKey: true });
    expect(model.get("selected")).toEqual(["b2", "d4"]);
    click(at(4), { shiftKey: true });
    expect(model.get("selected")).toEqual(["d4", "e5"]);
    click(at(0), { metaKey: true });
    expect(model.get("selected")).toEqual(["d4", "e5", "a1"]);
    expect(el.querySelectorAll(".lt-tr.lt-selected")).toHaveLength(3);
    expect(el.querySelector(".lt-countline")!.textContent).toBe("5 runs · 3 selected");
    // The kernel (or a linked widget) changes the selection: the highlight follows.
    model.set("selected", ["c3"]);
    expect(
      rows()
        .filter((r) => r.classList.contains("lt-selected"))
        .map((r) => r.dataset.index),
    ).toEqual(["2"]);
  });

  it("moves the selection with the arrow keys and toggles with space", () => {
    const model = mount();
    const scroller = el.querySelector<HTMLElement>(".lt-scroll")!;
    key(scroller, "ArrowDown");
    expect(model.get("selected")).toEqual(["a1"]);
    key(scroller, "ArrowDown");
    expect(model.get("selected")).toEqual(["b2"]);
    key(scroller, "ArrowDown", { shiftKey: true });
    expect(model.get("selected")).toEqual(["b2", "c3"]);
    key(scroller, "ArrowUp");
    expect(model.get("selected")).toEqual(["b2"]);
    key(scroller, " ");
    expect(model.get("selected")).toEqual([]);
    key(scroller, " ");
    expect(model.get("selected")).toEqual(["b2"]);
    expect(el.querySelector(".lt-tr.lt-cursor")!.getAttribute("data-index")).toBe("1");
    const event = new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true, cancelable: true });
    scroller.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true); // the notebook must not scroll or move cells
  });

  it("moves the cursor's highlight even when the selection stays the same", () => {
    // Backbone (the real widget model) sends no change event when a value is set to an equal one.
    class EqualityModel<S extends object> extends FakeModel<S> {
      override set<K extends keyof S & string>(k: K, value: S[K]): void {
        if (JSON.stringify(this.get(k)) !== JSON.stringify(value)) super.set(k, value);
      }
    }
    const model = new EqualityModel(fixtures.runsTable());
    cleanups.push(widget.render({ model, el }));
    const at = (i: number) =>
      rows()
        .find((r) => r.dataset.index === String(i))!
        .querySelector(".lt-td")!;
    click(at(1));
    click(at(3), { shiftKey: true });
    model.set("selected", ["b2", "c3"]); // from the kernel
    click(at(2), { shiftKey: true }); // the range from the anchor: the same two rows
    expect(model.get("selected")).toEqual(["b2", "c3"]);
    expect(el.querySelectorAll(".lt-tr.lt-cursor")).toHaveLength(1);
    expect(el.querySelector(".lt-tr.lt-cursor")!.getAttribute("data-index")).toBe("2");
  });

  it("keeps the keyboard cursor in view", () => {
    mount(manyRuns(1000));
    const scroller = el.querySelector<HTMLElement>(".lt-scroll")!;
    key(scroller, "ArrowDown");
    key(scroller, "End");
    const viewport = Number.parseFloat(scroller.style.height) - HEADER_HEIGHT;
    expect(scroller.scrollTop).toBe(1000 * ROW_HEIGHT - viewport);
    const cursorRow = el.querySelector(".lt-tr.lt-cursor"); // drawn at once, not a frame later
    expect(cursorRow?.getAttribute("data-index")).toBe("999");
    expect(cursorRow?.classList.contains("lt-selected")).toBe(true);
  });

  it("lets the column chooser show and hide columns", () => {
    const model = mount();
    const panel = el.querySelector<HTMLElement>(".lt-chooser")!;
    expect(panel.hidden).toBe(true);
    click(el.querySelector(".lt-popover-anchor .lt-button")!);
    expect(panel.hidden).toBe(false);
    expect(Array.from(panel.querySelectorAll(".lt-chooser-group")).map((g) => g.textContent)).toEqual([
      "info",
      "metrics",
      "params",
      "tags",
    ]);
    const box = (name: string) => panel.querySelector<HTMLInputElement>(`[data-column="${name}"] input`)!;
    expect(box("tags.team").checked).toBe(false);
    box("tags.team").checked = true;
    box("tags.team").dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("visible_columns").at(-1)).toBe("tags.team");
    expect(header("tags.team")).not.toBeNull();
    box("status").checked = false;
    box("status").dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("visible_columns")).not.toContain("status");
    document.body.dispatchEvent(new MouseEvent("mousedown", { bubbles: true }));
    expect(panel.hidden).toBe(true);
  });

  it("shows the empty message instead of the grid", () => {
    const state = fixtures.runsTable();
    state.data = Object.fromEntries(Object.keys(state.data).map((k) => [k, []]));
    state.empty_message = "No runs yet. Log one with lt.start_run().";
    const model = mount(state);
    expect(el.querySelector<HTMLElement>(".lt-empty")!.hidden).toBe(false);
    expect(el.querySelector(".lt-empty")!.textContent).toBe("No runs yet. Log one with lt.start_run().");
    expect(el.querySelector<HTMLElement>(".lt-scroll")!.hidden).toBe(true);
    expect(el.querySelector(".lt-countline")!.textContent).toBe("0 runs");
    model.set("data", fixtures.runsTable().data);
    model.set("empty_message", "");
    expect(el.querySelector<HTMLElement>(".lt-empty")!.hidden).toBe(true);
    expect(rows()).toHaveLength(5);
  });

  it("cleans up: no listeners on the model, nothing left in the element", () => {
    const model = mount();
    cleanups.pop()!();
    expect(model.listenerCount()).toBe(0);
    expect(el.childElementCount).toBe(0);
  });
});
