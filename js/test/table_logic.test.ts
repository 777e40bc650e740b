import { describe, expect, it } from "vitest";

import { toggleColumn } from "../widgets/table/chooser";
import { nextSort, sortOrder } from "../widgets/table/sort";
import { revealRow, visibleWindow } from "../widgets/table/virtual";

describe("sortOrder", () => {
  const data = {
    name: ["run-10", "run-2", null, "Run-1"],
    acc: [0.5, null, 0.9, 0.5],
    lr: ["0.1", "0.01", "0.001", null],
  };

  it("keeps the kernel's order without a sort", () => {
    expect(sortOrder(data, [], 4)).toEqual([0, 1, 2, 3]);
  });

  it("sorts numbers numerically with missing values last, both directions", () => {
    expect(sortOrder(data, [{ column: "acc", descending: false }], 4)).toEqual([0, 3, 2, 1]);
    expect(sortOrder(data, [{ column: "acc", descending: true }], 4)).toEqual([2, 0, 3, 1]);
  });

  it("sorts text naturally and case-insensitively, missing last", () => {
    expect(sortOrder(data, [{ column: "name", descending: false }], 4)).toEqual([3, 1, 0, 2]);
    expect(sortOrder(data, [{ column: "name", descending: true }], 4)).toEqual([0, 1, 3, 2]);
  });

  it("breaks ties with the next key, then stays stable", () => {
    const order = sortOrder(
      data,
      [
        { column: "acc", descending: false },
        { column: "name", descending: true },
      ],
      4,
    );
    expect(order).toEqual([0, 3, 2, 1]);
    const reversed = sortOrder(
      data,
      [
        { column: "acc", descending: false },
        { column: "name", descending: false },
      ],
      4,
    );
    expect(reversed).toEqual([3, 0, 2, 1]);
  });

  it("treats NaN as missing and ignores unknown columns", () => {
    expect(sortOrder({ v: [NaN, 1, 0] }, [{ column: "v", descending: true }], 3)).toEqual([1, 2, 0]);
    expect(sortOrder(data, [{ column: "nope", descending: false }], 4)).toEqual([0, 1, 2, 3]);
  });

  it("sorts 10,000 rows quickly", () => {
    const values = Array.from({ length: 10_000 }, (_, i) => (i * 7919) % 10_007);
    const start = performance.now();
    const order = sortOrder({ v: values }, [{ column: "v", descending: false }], values.length);
    expect(performance.now() - start).toBeLessThan(500);
    expect(values[order[0]!]).toBe(Math.min(...values));
  });
});

describe("nextSort", () => {
  it("cycles a single column ascending -> descending -> off", () => {
    let sort = nextSort([], "acc", false);
    expect(sort).toEqual([{ column: "acc", descending: false }]);
    sort = nextSort(sort, "acc", false);
    expect(sort).toEqual([{ column: "acc", descending: true }]);
    expect(nextSort(sort, "acc", false)).toEqual([]);
  });

  it("replaces the sort on a plain click of another column", () => {
    expect(nextSort([{ column: "acc", descending: true }], "lr", false)).toEqual([{ column: "lr", descending: false }]);
  });

  it("adds and cycles keys with shift", () => {
    let sort = nextSort([{ column: "acc", descending: true }], "lr", true);
    expect(sort).toEqual([
      { column: "acc", descending: true },
      { column: "lr", descending: false },
    ]);
    sort = nextSort(sort, "lr", true);
    expect(sort).toEqual([
      { column: "acc", descending: true },
      { column: "lr", descending: true },
    ]);
    expect(nextSort(sort, "lr", true)).toEqual([{ column: "acc", descending: true }]);
  });
});

describe("virtual window", () => {
  it("renders the rows in view plus the overscan", () => {
    expect(visibleWindow(0, 280, 28, 10_000, 5)).toEqual({ start: 0, end: 16, total: 280_000 });
    const mid = visibleWindow(28 * 5000 + 10, 280, 28, 10_000, 5);
    expect(mid.start).toBe(4995);
    expect(mid.end).toBe(5016);
  });

  it("clamps at the ends and for small tables", () => {
    expect(visibleWindow(280_000, 280, 28, 10_000, 5).end).toBe(10_000);
    expect(visibleWindow(0, 280, 28, 3)).toEqual({ start: 0, end: 3, total: 84 });
    expect(visibleWindow(-50, 280, 28, 0)).toEqual({ start: 0, end: 0, total: 0 });
  });

  it("scrolls just enough to reveal a row", () => {
    expect(revealRow(5, 0, 280, 28)).toBe(0);
    expect(revealRow(10, 0, 280, 28)).toBe(28 * 11 - 280);
    expect(revealRow(2, 200, 280, 28)).toBe(56);
  });
});

describe("column chooser", () => {
  it("appends shown columns and removes hidden ones", () => {
    expect(toggleColumn(["a", "b"], "c", true)).toEqual(["a", "b", "c"]);
    expect(toggleColumn(["a", "b"], "a", true)).toEqual(["a", "b"]);
    expect(toggleColumn(["a", "b"], "a", false)).toEqual(["b"]);
  });
});
