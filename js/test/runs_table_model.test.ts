// The run table's state and transitions, without a DOM: what runs_table.ts draws and does.

import { afterEach, describe, expect, it } from "vitest";

import type { RunsTableState } from "../shared/types";
import { type Change, HEADER_HEIGHT, pageRows, ROW_HEIGHT, RunsTableModel } from "../widgets/runs_table_model";
import { FakeModel, fixtures, XSS } from "./helpers";

const tables: RunsTableModel[] = [];

function open(state: RunsTableState = fixtures.runsTable()) {
  const model = new FakeModel(state);
  const table = new RunsTableModel(model);
  tables.push(table);
  const changes: Change[] = [];
  table.subscribe((change) => changes.push(change));
  return { model, table, changes };
}

function manyRuns(count: number): RunsTableState {
  const state = fixtures.runsTable();
  state.data = {
    run_id: Array.from({ length: count }, (_, i) => `id${i}`),
    run_name: Array.from({ length: count }, (_, i) => `run-${i}`),
  };
  return state;
}

const names = (table: RunsTableModel) => table.ids.map((_, i) => table.value(i, "run_name"));

afterEach(() => {
  for (const table of tables.splice(0)) table.dispose();
});

describe("RunsTableModel: what shows", () => {
  it("lists the visible columns in their order, skipping names the kernel does not offer", () => {
    const state = fixtures.runsTable();
    state.visible_columns = ["metrics.acc", "no.such", "run_name"];
    const { model, table, changes } = open(state);
    expect(table.columns.map((c) => c.label)).toEqual(["acc", "run"]);
    model.set("visible_columns", ["status"]);
    expect(table.columns.map((c) => c.name)).toEqual(["status"]);
    expect(changes).toEqual(["table"]);
  });

  it("keeps the kernel's row order until sorted, then ids and values follow the sort", () => {
    const { model, table } = open();
    expect(table.ids).toEqual(["a1", "b2", "c3", "d4", "e5"]);
    model.set("sort", [{ column: "metrics.acc", descending: true }]);
    expect(table.ids).toEqual(["d4", "a1", "e5", "c3", "b2"]); // the missing value last
    expect(table.value(0, "run_name")).toBe("baseline");
    expect(table.value(4, "metrics.acc")).toBeNull();
  });

  it("marks sorted headers, with ranks when sorting by several columns", () => {
    const { model, table } = open();
    expect(table.sortMark("run_name")).toEqual({ arrow: "", ariaSort: "none" });
    model.set("sort", [{ column: "run_name", descending: false }]);
    expect(table.sortMark("run_name")).toEqual({ arrow: " ▲", ariaSort: "ascending" });
    model.set("sort", [
      { column: "params.optimizer", descending: true },
      { column: "run_name", descending: false },
    ]);
    expect(table.sortMark("params.optimizer")).toEqual({ arrow: " ▼1", ariaSort: "descending" });
    expect(table.sortMark("run_name")).toEqual({ arrow: " ▲2", ariaSort: "ascending" });
  });

  it("says how many runs and how many are selected, and why none show", () => {
    const { model, table } = open();
    expect(table.status()).toEqual({
      count: 5,
      empty: false,
      emptyText: "",
      countText: "5 runs",
      gridHeight: HEADER_HEIGHT + 5 * ROW_HEIGHT + 2,
    });
    model.set("selected", ["a1", "c3"]);
    expect(table.status().countText).toBe("5 runs · 2 selected");
    model.set("data", { run_id: ["a1"] });
    expect(table.status().countText).toBe("1 run · 2 selected");
    model.set("data", { run_id: [] });
    expect(table.status()).toMatchObject({
      empty: true,
      emptyText: "No runs match this filter.",
      gridHeight: HEADER_HEIGHT + ROW_HEIGHT + 2,
    });
    model.set("empty_message", "No runs yet.");
    expect(table.status().emptyText).toBe("No runs yet.");
    const big = open(manyRuns(10_000)).table.status();
    expect(big.countText).toBe("10,000 runs");
    expect(big.gridHeight).toBe(HEADER_HEIGHT + 15 * ROW_HEIGHT + 2);
  });

  it("renders a window of the rows around the scroll position", () => {
    const { table } = open(manyRuns(10_000));
    const win = table.window(5000 * ROW_HEIGHT, 10 * ROW_HEIGHT);
    expect(win.total).toBe(10_000 * ROW_HEIGHT);
    expect(win.start).toBeLessThanOrEqual(5000);
    expect(win.end).toBeGreaterThan(5010);
    expect(win.end - win.start).toBeLessThan(100);
  });
});

describe("RunsTableModel: transitions sent to the kernel", () => {
  it("sorts on a header click and adds a key on shift-click", () => {
    const { model, table, changes } = open();
    table.sortBy("metrics.acc", false);
    expect(model.get("sort")).toEqual([{ column: "metrics.acc", descending: false }]);
    expect(model.saves).toBe(1);
    expect(names(table)).toEqual([XSS, "run-1", "run-10", "baseline", "run-2"]);
    table.sortBy("run_name", true);
    expect(model.get("sort")).toEqual([
      { column: "metrics.acc", descending: false },
      { column: "run_name", descending: false },
    ]);
    table.sortBy("metrics.acc", false); // a plain click among several keys: that column alone, ascending
    expect(model.get("sort")).toEqual([{ column: "metrics.acc", descending: false }]);
    expect(changes).toEqual(["table", "table", "table"]);
  });

  it("applies the filter trimmed; the kernel's filter and error come back as changes", () => {
    const { model, table, changes } = open();
    table.applyFilter("  metrics.acc > 0.9 ");
    expect(model.get("filter")).toBe("metrics.acc > 0.9");
    expect(model.saves).toBe(1);
    expect(table.filter).toBe("metrics.acc > 0.9");
    model.set("error", "no column 'x'");
    expect(table.error).toBe("no column 'x'");
    expect(changes).toEqual(["filter", "error"]);
  });

  it("shows a column at the end and hides one", () => {
    const { model, table } = open();
    table.showColumn("tags.team", true);
    expect(model.get("visible_columns").at(-1)).toBe("tags.team");
    expect(table.columns.at(-1)!.name).toBe("tags.team");
    table.showColumn("status", false);
    expect(table.visibleColumns).not.toContain("status");
    expect(model.saves).toBe(2);
  });
});

describe("RunsTableModel: selection and the keyboard cursor", () => {
  it("selects by click in display order: plain, toggle, range from the anchor", () => {
    const { model, table } = open();
    model.set("sort", [{ column: "run_id", descending: true }]); // e5 d4 c3 b2 a1
    table.click(1, { toggle: false, range: false });
    expect(model.get("selected")).toEqual(["d4"]);
    expect(table.cursor).toBe(1);
    table.click(3, { toggle: false, range: true });
    expect(model.get("selected")).toEqual(["d4", "c3", "b2"]);
    table.click(0, { toggle: true, range: false });
    expect(model.get("selected")).toEqual(["d4", "c3", "b2", "e5"]);
    expect(table.isSelected(0)).toBe(true);
    expect(table.isSelected(4)).toBe(false);
    expect(model.saves).toBe(3);
  });

  it("moves with arrows, pages by the view's height, Home and End, clamped to the rows", () => {
    const { model, table } = open(manyRuns(100));
    const viewport = 10 * ROW_HEIGHT;
    expect(pageRows(viewport)).toBe(9);
    expect(pageRows(0)).toBe(1);
    expect(table.pressKey("ArrowUp", false, viewport)).toBe("moved"); // the first key lands on row 0
    expect(table.cursor).toBe(0);
    table.pressKey("PageDown", false, viewport);
    expect(table.cursor).toBe(9);
    expect(model.get("selected")).toEqual(["id9"]);
    table.pressKey("End", false, viewport);
    expect(table.cursor).toBe(99);
    table.pressKey("ArrowDown", false, viewport);
    expect(table.cursor).toBe(99);
    table.pressKey("PageUp", true, viewport); // shift: extend from the anchor (id99)
    expect(table.cursor).toBe(90);
    expect(model.get("selected")).toEqual(Array.from({ length: 10 }, (_, i) => `id${90 + i}`));
    table.pressKey("Home", false, viewport);
    expect(table.cursor).toBe(0);
    expect(model.get("selected")).toEqual(["id0"]);
  });

  it("toggles the cursor's row with space, clears with Escape, and leaves other keys alone", () => {
    const { model, table } = open();
    expect(table.pressKey(" ", false, 100)).toBe("ignored"); // no cursor yet
    table.pressKey("ArrowDown", false, 100);
    table.pressKey("ArrowDown", false, 100);
    expect(model.get("selected")).toEqual(["b2"]);
    expect(table.pressKey(" ", false, 100)).toBe("selected");
    expect(model.get("selected")).toEqual([]);
    table.pressKey(" ", false, 100);
    table.click(3, { toggle: true, range: false });
    expect(model.get("selected")).toEqual(["b2", "d4"]);
    expect(table.pressKey("Escape", false, 100)).toBe("selected");
    expect(model.get("selected")).toEqual([]);
    expect(table.cursor).toBe(3);
    const saves = model.saves;
    expect(table.pressKey("a", false, 100)).toBe("ignored");
    expect(table.pressKey("Enter", false, 100)).toBe("ignored");
    expect(model.saves).toBe(saves);
  });

  it("extends from the anchor only while the anchor's run is still shown", () => {
    const { model, table } = open();
    table.click(0, { toggle: false, range: false }); // anchor a1
    model.set("data", { run_id: ["b2", "c3", "d4"] }); // a1 filtered away
    table.pressKey("ArrowDown", true, 100);
    expect(model.get("selected")).toEqual(["c3"]);
  });

  it("keeps the cursor on a row when the rows shrink, and does nothing on an empty table", () => {
    const { model, table } = open();
    table.pressKey("ArrowDown", false, 100);
    table.pressKey("End", false, 100);
    expect(table.cursor).toBe(4);
    model.set("data", { run_id: ["a1", "b2"] });
    expect(table.cursor).toBe(1);
    model.set("data", { run_id: [] });
    expect(table.cursor).toBe(-1);
    const saves = model.saves;
    expect(table.pressKey("ArrowDown", false, 100)).toBe("moved");
    expect(table.cursor).toBe(-1);
    expect(model.saves).toBe(saves);
  });

  it("reports a cursor move as a change of its own, apart from the selection's", () => {
    const { model, table, changes } = open();
    model.set("selected", ["b2"]); // from the kernel, cursor not on it
    changes.length = 0;
    table.click(1, { toggle: false, range: true }); // no anchor: toggles b2 off
    expect(changes).toEqual(["selection", "cursor"]);
    changes.length = 0;
    table.pressKey(" ", false, 100); // same row: the selection changes, the cursor does not
    expect(changes).toEqual(["selection"]);
  });
});

describe("RunsTableModel: lifetime", () => {
  it("stops listening to the widget model on dispose", () => {
    const { model, table, changes } = open();
    table.dispose();
    expect(model.listenerCount()).toBe(0);
    model.set("selected", ["a1"]);
    expect(changes).toEqual([]);
  });
});
