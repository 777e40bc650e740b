// The run table's state and transitions, without a DOM: what runs_table.ts draws and does.
// The kernel pages, sorts and selects; PagedModel stands in for it.

import { afterEach, describe, expect, it } from "vitest";

import {
  type Change,
  HEADER_HEIGHT,
  PAGE_MARGIN,
  pageRows,
  ROW_HEIGHT,
  RunsTableModel,
} from "../widgets/runs_table_model";
import { FakeModel, fixtures, XSS } from "./helpers";
import { type PagedModel, pagedModel } from "./paged";

const tables: RunsTableModel[] = [];

function open(model: PagedModel = pagedModel()) {
  const table = new RunsTableModel(model);
  tables.push(table);
  const changes: Change[] = [];
  table.subscribe((change) => changes.push(change));
  return { model, table, changes };
}

function manyRuns(count: number): PagedModel {
  return pagedModel(
    {
      run_id: Array.from({ length: count }, (_, i) => `id${i}`),
      run_name: Array.from({ length: count }, (_, i) => `run-${i}`),
    },
    ["run_name"],
  );
}

const names = (table: RunsTableModel) => Array.from({ length: table.rowCount }, (_, i) => table.value(i, "run_name"));

afterEach(() => {
  for (const table of tables.splice(0)) table.dispose();
});

describe("RunsTableModel: what shows", () => {
  it("lists the visible columns in their order, skipping names the kernel does not offer", () => {
    const { model, table, changes } = open(pagedModel(undefined, ["metrics.acc", "no.such", "run_name"]));
    expect(table.columns.map((c) => c.label)).toEqual(["acc", "run"]);
    model.set("visible_columns", ["status"]);
    expect(table.columns.map((c) => c.name)).toEqual(["status"]);
    expect(changes).toEqual(["table", "rows"]); // and the kernel sent that column's page
  });

  it("shows the kernel's page: its rows' ids and values, nothing for rows not sent", () => {
    const { model, table } = open(manyRuns(1000));
    expect(table.rowCount).toBe(1000);
    expect(table.runId(0)).toBe("id0");
    expect(table.value(3, "run_name")).toBe("run-3");
    expect(table.loaded(500)).toBe(false);
    expect(table.runId(500)).toBe("");
    expect(table.value(500, "run_name")).toBeUndefined();
    model.set("window", { start: 480, end: 520 });
    expect(table.value(500, "run_name")).toBe("run-500");
    expect(table.loaded(0)).toBe(false);
  });

  it("draws rows in the order the kernel sorted them", () => {
    const { model, table } = open();
    expect(names(table)).toEqual(["run-10", "run-2", XSS, "baseline", "run-1"]);
    model.set("sort", [{ column: "metrics.acc", descending: true }]);
    expect(table.runId(0)).toBe("d4");
    expect(table.value(4, "metrics.acc")).toBeNull(); // the missing value last
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
    model.load({ run_id: ["a1"] });
    expect(table.status().countText).toBe("1 run · 2 selected");
    model.load({ run_id: [] });
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

describe("RunsTableModel: asking the kernel for rows", () => {
  it("asks for the window in view plus a margin, once, and not for rows it holds", () => {
    const { model, table } = open(manyRuns(10_000));
    expect(table.request(table.window(0, 300))).toBe(false); // the first page holds them
    const win = table.window(5000 * ROW_HEIGHT, 300);
    model.paused = true; // the answer is on its way
    expect(table.request(win)).toBe(true);
    expect(model.get("window")).toEqual({ start: win.start - PAGE_MARGIN, end: win.end + PAGE_MARGIN });
    expect(table.request(table.window(5001 * ROW_HEIGHT, 300))).toBe(false); // already asked
    model.resume();
    expect(table.runId(5000)).toBe("id5000");
    expect(table.request(table.window(5050 * ROW_HEIGHT, 300))).toBe(false); // in the page
    expect(model.windows).toHaveLength(1);
  });

  it("asks again after the kernel rearranged the rows (a sort, a new query)", () => {
    const { model, table } = open(manyRuns(1000));
    model.paused = true;
    const win = table.window(500 * ROW_HEIGHT, 300);
    table.request(win);
    table.sortBy("run_name", false);
    expect(table.request(win)).toBe(true);
  });
});

describe("RunsTableModel: transitions sent to the kernel", () => {
  it("sorts on a header click and adds a key on shift-click", () => {
    const { model, table } = open();
    table.sortBy("metrics.acc", false);
    expect(model.get("sort")).toEqual([{ column: "metrics.acc", descending: false }]);
    expect(model.saves).toBe(1);
    expect(names(table)).toEqual([XSS, "run-1", "run-10", "baseline", "run-2"]);
    table.sortBy("run_name", true);
    expect(model.get("sort")).toEqual([
      { column: "metrics.acc", descending: false },
      { column: "run_name", descending: false },
    ]);
  });

  it("applies the filter trimmed; the kernel's filter and error come back as changes", () => {
    const { model, table, changes } = open();
    table.applyFilter("  metrics.acc > 0.9 ");
    expect(model.get("filter")).toBe("metrics.acc > 0.9");
    expect(changes).toContain("filter");
    model.set("error", "bad");
    expect(table.error).toBe("bad");
    expect(changes.at(-1)).toBe("error");
  });

  it("shows a column at the end and hides one", () => {
    const { model, table } = open();
    table.showColumn("tags.team", true);
    expect(model.get("visible_columns").at(-1)).toBe("tags.team");
    table.showColumn("status", false);
    expect(model.get("visible_columns")).not.toContain("status");
  });

  it("groups by a column and collapses a group through the kernel's state", () => {
    const { model, table } = open();
    table.setGroupBy("params.optimizer");
    expect(model.get("group_by")).toBe("params.optimizer");
    table.toggleGroup("adam");
    expect(model.get("collapsed")).toEqual(["adam"]);
    table.toggleGroup("adam");
    expect(model.get("collapsed")).toEqual([]);
  });
});

describe("RunsTableModel: selection and the keyboard cursor", () => {
  it("sends clicks to the kernel with their modifiers, the cursor moving there", () => {
    const { model, table, changes } = open();
    table.click(2, { toggle: false, range: false });
    table.click(4, { toggle: true, range: true });
    expect(model.sent).toEqual([
      { type: "select", position: 2, toggle: false, range: false, key: false },
      { type: "select", position: 4, toggle: true, range: true, key: false },
    ]);
    expect(table.cursor).toBe(4);
    expect(changes.filter((c) => c === "cursor")).toHaveLength(2);
    model.set("selected", ["c3"]);
    expect(table.isSelected(2)).toBe(true);
    expect(table.isSelected(4)).toBe(false);
  });

  it("moves with arrows, pages by the view's height, Home and End, clamped to the rows", () => {
    const { model, table } = open(manyRuns(100));
    const at = () => (model.sent.at(-1) as { position: number }).position;
    expect(table.pressKey("ArrowDown", false, 280)).toBe("moved");
    expect(at()).toBe(0); // the first key puts the cursor on the first row
    table.pressKey("PageDown", false, 280);
    expect(at()).toBe(pageRows(280));
    table.pressKey("End", true, 280);
    expect(model.sent.at(-1)).toEqual({ type: "select", position: 99, toggle: false, range: true, key: true });
    table.pressKey("ArrowDown", false, 280);
    expect(at()).toBe(99);
    table.pressKey("Home", false, 280);
    expect(at()).toBe(0);
    table.pressKey("ArrowUp", false, 280);
    expect(at()).toBe(0);
  });

  it("toggles with space, clears with Escape, selects all with ctrl+A, leaves other keys alone", () => {
    const { model, table } = open();
    table.click(1, { toggle: false, range: false });
    expect(table.pressKey(" ", false, 280)).toBe("selected");
    expect(model.sent.at(-1)).toEqual({ type: "select", position: 1, toggle: true, range: false, key: false });
    expect(table.pressKey("a", false, 280, true)).toBe("selected");
    expect(model.sent.at(-1)).toEqual({ type: "select_all" });
    model.set("selected", ["a1", "b2"]);
    expect(table.pressKey("Escape", false, 280)).toBe("selected");
    expect(model.get("selected")).toEqual([]);
    expect(table.pressKey("x", false, 280)).toBe("ignored");
  });

  it("keeps the cursor on a row when the rows shrink, and does nothing on an empty table", () => {
    const { model, table } = open();
    table.click(4, { toggle: false, range: false });
    model.load({ run_id: ["a1", "b2"] });
    expect(table.cursor).toBe(1);
    model.load({ run_id: [] });
    const sent = model.sent.length;
    expect(table.pressKey("ArrowDown", false, 280)).toBe("moved");
    expect(model.sent).toHaveLength(sent);
  });

  it("warns instead of failing where there is no kernel channel", () => {
    const model = new FakeModel(fixtures.runsTable());
    const table = new RunsTableModel(model);
    tables.push(table);
    expect(() => table.click(0, { toggle: false, range: false })).not.toThrow();
  });
});

describe("RunsTableModel: a big table's runs loading in the kernel", () => {
  it("asks whether runs are loading and says so under the grid until they are in", () => {
    const model = manyRuns(3);
    model.loading = 100_000; // a kernel that drew the first page and loads the rest
    const { table, changes } = open(model);
    expect(table.loadingRuns).toBe(100_000);
    expect(table.status().countText).toBe("3 runs · loading 100,000 runs…");
    model.tell({ type: "loading", runs: 0 });
    expect(changes).toContain("loading");
    expect(table.status().countText).toBe("3 runs");
    model.tell({ type: "note", runs: 5 }); // another feature's message
    expect(table.loadingRuns).toBe(0);
  });
});

describe("RunsTableModel: lifetime", () => {
  it("stops listening to the widget model on dispose", () => {
    const { model, table } = open();
    table.dispose();
    expect(model.listenerCount()).toBe(0);
  });
});
