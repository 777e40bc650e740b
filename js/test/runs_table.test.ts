import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import widget, { HEADER_HEIGHT, ROW_HEIGHT } from "../widgets/runs_table";
import { fixtures, XSS } from "./helpers";
import { fixtureColumns, type PagedModel, pagedModel } from "./paged";

let el: HTMLElement;
const cleanups: (() => void)[] = [];

function mount(model: PagedModel = pagedModel()): PagedModel {
  cleanups.push(widget.render({ model, el }));
  return model;
}

function manyRuns(count: number): PagedModel {
  return pagedModel(
    {
      run_id: Array.from({ length: count }, (_, i) => `id${i}`),
      run_name: Array.from({ length: count }, (_, i) => `run-${i}`),
      status: Array.from({ length: count }, (_, i) => (i % 3 ? "FINISHED" : "RUNNING")),
      start_time: Array.from({ length: count }, (_, i) => 1714563907000 + i * 1000),
      duration: Array.from({ length: count }, (_, i) => i),
      "metrics.acc": Array.from({ length: count }, (_, i) => (i % 10 === 0 ? null : ((i * 37) % 101) / 100)),
    },
    ["run_name", "status", "start_time", "duration", "metrics.acc"],
  );
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
    const columns = fixtureColumns();
    columns["params.lr"]![0] = "0.0010000000474974513";
    mount(pagedModel(columns));
    const first = rows().find((r) => r.dataset.index === "0")!;
    const index = fixtures.runsTable().visible_columns.indexOf("params.lr");
    const cell = first.querySelectorAll<HTMLElement>(".lt-td")[index]!;
    expect(cell.textContent).toBe("0.001");
    expect(cell.title).toBe("0.0010000000474974513");
  });

  it("shows a run name full of markup as text", () => {
    mount();
    expect(el.querySelector("img")).toBeNull();
    expect(rowNames()).toContain(XSS);
  });

  it("renders only a window of 10,000 rows, asks the kernel for the rows in view as it scrolls", () => {
    vi.useFakeTimers();
    const model = mount(manyRuns(10_000));
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
    // Only the rows in view and a margin were asked for and sent, never all 10,000.
    const asked = model.windows.at(-1)!;
    expect(asked.start).toBeLessThanOrEqual(4980);
    expect(asked.end).toBeGreaterThan(5000);
    expect(asked.end - asked.start).toBeLessThan(400);
    expect(model.get("page").run_id.length).toBeLessThan(400);
    const sent = model.windows.length;
    scroller.scrollTop = 5002 * ROW_HEIGHT; // still inside the page: nothing asked
    scroller.dispatchEvent(new Event("scroll"));
    vi.advanceTimersToNextFrame();
    expect(model.windows).toHaveLength(sent);
  });

  it("shows a placeholder for rows the kernel has not sent yet, then fills them in place", () => {
    const model = mount(manyRuns(1000));
    model.paused = true;
    model.set("page", { start: 0, run_id: [], group: [], data: {} });
    const row = rows().find((r) => r.dataset.index === "0")!;
    expect(row.classList.contains("lt-loading")).toBe(true);
    expect(row.querySelector(".lt-td")!.textContent).toBe("");
    expect(model.windows.at(-1)).toEqual({ start: 0, end: expect.any(Number) }); // asked again
    model.resume();
    const filled = rows().find((r) => r.dataset.index === "0")!;
    // The same element, filled: a click pressed before the page came and released after it
    // still has its row (a replaced one would send the click to the grid, and lose it).
    expect(filled).toBe(row);
    expect(filled.classList.contains("lt-loading")).toBe(false);
    expect(filled.querySelector(".lt-td")!.textContent).toBe("run-0");
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

  it("sends clicks to the kernel, which selects (ranges reach rows never sent); highlights follow", () => {
    const model = mount();
    const at = (i: number) =>
      rows()
        .find((r) => r.dataset.index === String(i))!
        .querySelector(".lt-td")!;
    click(at(1));
    click(at(3), { ctrlKey: true });
    click(at(4), { shiftKey: true });
    click(at(0), { metaKey: true, shiftKey: true });
    expect(model.sent).toEqual([
      { type: "select", position: 1, toggle: false, range: false, key: false },
      { type: "select", position: 3, toggle: true, range: false, key: false },
      { type: "select", position: 4, toggle: false, range: true, key: false },
      { type: "select", position: 0, toggle: true, range: true, key: false },
    ]);
    // The kernel (or a linked widget) changes the selection: the highlight follows.
    model.set("selected", ["d4", "e5", "a1"]);
    expect(el.querySelectorAll(".lt-tr.lt-selected")).toHaveLength(3);
    expect(el.querySelector(".lt-countline")!.textContent).toBe("5 runs · 3 selected");
    model.set("selected", ["c3"]);
    expect(
      rows()
        .filter((r) => r.classList.contains("lt-selected"))
        .map((r) => r.dataset.index),
    ).toEqual(["2"]);
    expect(el.querySelector(".lt-tr.lt-cursor")!.getAttribute("data-index")).toBe("0");
  });

  it("moves the cursor with the arrow keys and asks the kernel to select; space, Escape, ctrl+A", () => {
    const model = mount();
    const scroller = el.querySelector<HTMLElement>(".lt-scroll")!;
    key(scroller, "ArrowDown");
    key(scroller, "ArrowDown");
    key(scroller, "ArrowDown", { shiftKey: true });
    key(scroller, " ");
    key(scroller, "a", { ctrlKey: true });
    expect(model.sent).toEqual([
      { type: "select", position: 0, toggle: false, range: false, key: true },
      { type: "select", position: 1, toggle: false, range: false, key: true },
      { type: "select", position: 2, toggle: false, range: true, key: true },
      { type: "select", position: 2, toggle: true, range: false, key: false },
      { type: "select_all" },
    ]);
    expect(el.querySelector(".lt-tr.lt-cursor")!.getAttribute("data-index")).toBe("2");
    model.set("selected", ["b2"]);
    key(scroller, "Escape");
    expect(model.get("selected")).toEqual([]);
    const event = new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true, cancelable: true });
    scroller.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true); // the notebook must not scroll or move cells
  });

  it("keeps the keyboard cursor in view, its row fetched and drawn at once", () => {
    const model = mount(manyRuns(1000));
    const scroller = el.querySelector<HTMLElement>(".lt-scroll")!;
    key(scroller, "ArrowDown");
    key(scroller, "End");
    const viewport = Number.parseFloat(scroller.style.height) - HEADER_HEIGHT;
    expect(scroller.scrollTop).toBe(1000 * ROW_HEIGHT - viewport);
    const cursorRow = el.querySelector(".lt-tr.lt-cursor"); // drawn at once, not a frame later
    expect(cursorRow?.getAttribute("data-index")).toBe("999");
    expect(cursorRow?.querySelector(".lt-td")?.textContent).toBe("run-999");
    expect(model.sent.at(-1)).toEqual({ type: "select", position: 999, toggle: false, range: false, key: true });
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
    const model = pagedModel({ run_id: [] });
    model.set("empty_message", "No runs yet. Log one with lt.start_run().");
    mount(model);
    expect(el.querySelector<HTMLElement>(".lt-empty")!.hidden).toBe(false);
    expect(el.querySelector(".lt-empty")!.textContent).toBe("No runs yet. Log one with lt.start_run().");
    expect(el.querySelector<HTMLElement>(".lt-scroll")!.hidden).toBe(true);
    expect(el.querySelector(".lt-countline")!.textContent).toBe("0 runs");
    model.load(fixtureColumns());
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

describe("runs_table view while the kernel loads the runs", () => {
  it("says how many runs are loading under the grid, and marks the line once they are in", () => {
    const model = pagedModel();
    model.loading = 7; // the kernel drew the first page and loads the rest
    mount(model);
    const line = el.querySelector<HTMLElement>(".lt-countline")!;
    expect(line.textContent).toContain("· loading 7 runs…");
    expect(line.dataset.loading).toBe("7");
    model.tell({ type: "loading", runs: 0 });
    expect(line.textContent).not.toContain("loading");
    expect(line.dataset.loading).toBe("0");
  });
});
