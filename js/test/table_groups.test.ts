import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { runColor } from "../shared/colors";
import type { RunsTableState, TableGroup } from "../shared/types";
import widget, { aggregateText, groupableColumns } from "../widgets/runs_table";
import { groupItems, RunsTableModel } from "../widgets/runs_table_model";
import { FakeModel, fixtures } from "./helpers";

// The fixture's runs: a1 run-10 adam 0.91, b2 run-2 sgd -, c3 <img..> adam 0.5, d4 baseline sgd 0.973,
// e5 run-1 adam 0.88. The kernel groups them by params.optimizer:
const GROUPS: TableGroup[] = [
  { name: "adam", rows: [0, 2, 4], count: 3, aggregates: { "metrics.acc": { mean: 0.763, min: 0.5, max: 0.91 } } },
  { name: "sgd", rows: [1, 3], count: 2, aggregates: { "metrics.acc": { mean: 0.973, min: 0.973, max: 0.973 } } },
];

function grouped(): RunsTableState {
  return { ...fixtures.runsTable(), group_by: "params.optimizer", groups: GROUPS };
}

describe("groupItems", () => {
  it("puts each group's header before its runs, in the sorted order, and hides collapsed ones", () => {
    const order = [4, 3, 2, 1, 0]; // as some sort left them
    expect(groupItems(order, GROUPS, new Set()).map((i) => (i.kind === "group" ? i.group.name : i.index))).toEqual([
      "adam",
      4,
      2,
      0,
      "sgd",
      3,
      1,
    ]);
    const closed = groupItems(order, GROUPS, new Set(["adam"]));
    expect(closed.map((i) => (i.kind === "group" ? `${i.group.name}:${i.collapsed}` : i.index))).toEqual([
      "adam:true",
      "sgd:false",
      3,
      1,
    ]);
    expect(groupItems(order, [], new Set()).map((i) => (i.kind === "run" ? i.index : -1))).toEqual(order);
  });
});

describe("RunsTableModel with groups", () => {
  it("sorts within groups, counts runs and groups, and never selects a header", () => {
    const model = new FakeModel(grouped());
    const table = new RunsTableModel(model);
    table.sortBy("metrics.acc", false);
    expect(table.ids).toEqual(["", "c3", "e5", "a1", "", "d4", "b2"]); // missing values last
    expect(table.status().countText).toBe("5 runs in 2 groups");
    expect(table.status().gridHeight).toBe(30 + 7 * 28 + 2);
    table.click(1, { toggle: false, range: false });
    table.click(5, { toggle: false, range: true }); // a range across the sgd header
    expect(model.get("selected")).toEqual(["c3", "e5", "a1", "d4"]);
    table.pressKey("Home", false, 300); // the cursor on a header selects nothing
    expect(model.get("selected")).toEqual([]);
    expect(table.pressKey("Enter", false, 300)).toBe("selected"); // and collapses its group
    expect(table.ids).toEqual(["", "", "d4", "b2"]);
    table.pressKey(" ", false, 300);
    expect(table.ids).toHaveLength(7);
    table.dispose();
  });

  it("collapses a group and commits group_by to the kernel", () => {
    const model = new FakeModel(grouped());
    const table = new RunsTableModel(model);
    table.toggleGroup("adam");
    expect(table.ids).toEqual(["", "", "b2", "d4"]);
    table.toggleGroup("adam");
    expect(table.ids).toHaveLength(7);
    table.setGroupBy("");
    expect(model.get("group_by")).toBe("");
    expect(table.ids).toEqual(["a1", "b2", "c3", "d4", "e5"]); // ungrouped at once, groups ignored
    table.dispose();
  });
});

describe("runs_table view with groups", () => {
  let el: HTMLElement;
  const stops: (() => void)[] = [];
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
    el.remove();
  });
  const rowAt = (i: number) => el.querySelector<HTMLElement>(`.lt-tr[data-index="${i}"]`)!;

  it("draws a header per group with its colour, count and aggregates", () => {
    stops.push(widget.render({ model: new FakeModel(grouped()), el }));
    const header = rowAt(0);
    expect(header.classList.contains("lt-group-row")).toBe(true);
    expect(header.getAttribute("aria-expanded")).toBe("true");
    const cells = header.querySelectorAll<HTMLElement>(".lt-td");
    expect(cells[0]!.textContent).toBe("▾adam · 3");
    expect(cells[0]!.querySelector<HTMLElement>(".lt-swatch")!.dataset.color).toBe(runColor("adam"));
    const acc = cells[4]!; // metrics.acc
    expect(acc.textContent).toBe("0.7630.5 – 0.91"); // the mean, then "min – max" under it
    expect(acc.querySelector(".lt-agg-range")!.textContent).toBe("0.5 – 0.91");
    expect(acc.title).toContain("mean 0.763");
    expect(rowAt(1).classList.contains("lt-group-row")).toBe(false);
    expect(el.querySelector(".lt-countline")!.textContent).toBe("5 runs in 2 groups");
  });

  it("collapses a group on a click on its header, and groups by the control's column", () => {
    const model = new FakeModel(grouped());
    stops.push(widget.render({ model, el }));
    rowAt(0)
      .querySelector<HTMLElement>(".lt-td")!
      .dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(el.querySelectorAll(".lt-tr")).toHaveLength(4); // both headers, then sgd's two runs
    expect(rowAt(0).getAttribute("aria-expanded")).toBe("false");
    expect(model.get("selected")).toEqual([]); // a header click selects nothing
    const select = el.querySelector<HTMLSelectElement>(".lt-group-by select")!;
    expect(select.value).toBe("params.optimizer");
    expect(Array.from(select.options).map((o) => o.value)).toContain("tags.team");
    expect(Array.from(select.options).map((o) => o.value)).not.toContain("metrics.acc");
    select.value = "";
    select.dispatchEvent(new Event("change"));
    expect(model.get("group_by")).toBe("");
    expect(el.querySelector(".lt-group-row")).toBeNull();
  });
});

describe("group helpers", () => {
  it("offers text columns to group by and shows aggregates by dtype", () => {
    const names = groupableColumns(fixtures.runsTable().columns).map((c) => c.name);
    expect(names).toEqual(["run_name", "status", "experiment_id", "params.lr", "params.optimizer", "tags.team"]);
    const duration = { name: "duration", label: "duration", group: "info" as const, dtype: "duration" as const };
    expect(aggregateText(duration, { mean: 65, min: 3.2, max: 7384 }).text).toBe("1m 05s");
    expect(aggregateText(duration, { mean: 65, min: 3.2, max: 7384 }).range).toBe("3.2s – 2h 03m");
  });
});
