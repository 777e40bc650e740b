import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { runColor } from "../shared/colors";
import type { RunsTableState, TableGroup } from "../shared/types";
import widget, { aggregateText, groupableColumns } from "../widgets/runs_table";
import { RunsTableModel } from "../widgets/runs_table_model";
import { FakeModel, fixtures } from "./helpers";

// The fixture's runs: a1 run-10 adam 0.91, b2 run-2 sgd -, c3 <img..> adam 0.5, d4 baseline sgd 0.973,
// e5 run-1 adam 0.88. The kernel groups them by params.optimizer and pages the display rows:
// each group's header, then its runs.
const GROUPS: TableGroup[] = [
  { name: "adam", count: 3, aggregates: { "metrics.acc": { mean: 0.763, min: 0.5, max: 0.91 } } },
  { name: "sgd", count: 2, aggregates: { "metrics.acc": { mean: 0.973, min: 0.973, max: 0.973 } } },
];

/** The kernel's state, grouped; `collapsed` groups' runs left out as the kernel does. */
function grouped(collapsed: string[] = []): RunsTableState {
  const state = fixtures.runsTable();
  const members: [number, string[]][] = [
    [0, ["a1", "c3", "e5"]],
    [1, ["b2", "d4"]],
  ];
  const rows = members.flatMap(([g, ids]): (number | string)[] => [
    g,
    ...(collapsed.includes(GROUPS[g]!.name) ? [] : ids),
  ]);
  const index = new Map(state.page.run_id.map((id, i) => [id, i]));
  const data = Object.fromEntries(
    Object.entries(state.page.data).map(([name, values]) => [
      name,
      rows.map((row) => (typeof row === "number" ? null : values[index.get(row)!]!)),
    ]),
  );
  return {
    ...state,
    group_by: "params.optimizer",
    groups: GROUPS,
    collapsed,
    row_count: rows.length,
    page: {
      start: 0,
      run_id: rows.map((row) => (typeof row === "number" ? "" : row)),
      group: rows.map((row) => (typeof row === "number" ? row : -1)),
      data,
    },
  };
}

/** A widget model that records the messages sent to the kernel (but the question whether
 * runs are loading: none are) and regroups on `collapsed`. */
class GroupedModel extends FakeModel<RunsTableState> {
  readonly sent: object[] = [];
  send(content: object): void {
    if ((content as { type?: string }).type !== "get_loading") this.sent.push(content);
  }
  override set<K extends keyof RunsTableState & string>(key: K, value: RunsTableState[K]): void {
    super.set(key, value);
    if (key === "collapsed") {
      const state = grouped(value as string[]);
      super.set("row_count", state.row_count);
      super.set("page", state.page);
    }
  }
}

describe("RunsTableModel with groups", () => {
  it("knows the headers in the kernel's page, counts runs and groups, never selects a header", () => {
    const model = new GroupedModel(grouped());
    const table = new RunsTableModel(model);
    expect(table.groupAt(0)).toEqual({ group: GROUPS[0], collapsed: false });
    expect(table.groupAt(1)).toBeNull();
    expect(table.runId(0)).toBe("");
    expect(table.runId(5)).toBe("b2");
    expect(table.status().countText).toBe("5 runs in 2 groups");
    expect(table.status().gridHeight).toBe(30 + 7 * 28 + 2);
    model.set("selected", ["a1"]);
    expect(table.isSelected(0)).toBe(false);
    expect(table.isSelected(1)).toBe(true);
    table.pressKey("Home", false, 300); // the cursor on a header
    expect(table.pressKey("Enter", false, 300)).toBe("selected"); // collapses its group
    expect(model.get("collapsed")).toEqual(["adam"]);
    expect(table.rowCount).toBe(4);
    expect(table.groupAt(0)).toEqual({ group: GROUPS[0], collapsed: true });
    table.pressKey(" ", false, 300);
    expect(model.get("collapsed")).toEqual([]);
    expect(table.rowCount).toBe(7);
    table.dispose();
  });

  it("commits group_by to the kernel", () => {
    const model = new GroupedModel(grouped());
    const table = new RunsTableModel(model);
    table.setGroupBy("");
    expect(model.get("group_by")).toBe("");
    expect(table.groups).toEqual([]); // ungrouped at once, the kernel's groups ignored
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
    stops.push(widget.render({ model: new GroupedModel(grouped()), el }));
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
    const model = new GroupedModel(grouped());
    stops.push(widget.render({ model, el }));
    rowAt(0)
      .querySelector<HTMLElement>(".lt-td")!
      .dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(el.querySelectorAll(".lt-tr")).toHaveLength(4); // both headers, then sgd's two runs
    expect(rowAt(0).getAttribute("aria-expanded")).toBe("false");
    expect(model.sent).toEqual([]); // a header click selects nothing
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
