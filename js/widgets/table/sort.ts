// Sorting the run table in the browser: numbers numerically, text naturally ("run-2" before
// "run-10"), missing values last whichever the direction.

import type { Cell, SortKey } from "../../shared/types";

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

export function isMissing(value: Cell | undefined): boolean {
  return value === null || value === undefined || (typeof value === "number" && Number.isNaN(value));
}

/** Compare two present values: numbers before text when a column mixes them. */
export function compareValues(a: Cell, b: Cell): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return collator.compare(String(a), String(b));
}

/** Row indices in display order; ties keep the order the kernel sent (stable). */
export function sortOrder(data: Record<string, Cell[]>, sort: SortKey[], count: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  const keys = sort
    .map((key) => ({ values: data[key.column], sign: key.descending ? -1 : 1 }))
    .filter((key): key is { values: Cell[]; sign: number } => Array.isArray(key.values));
  if (!keys.length) return order;
  return order.sort((i, j) => {
    for (const { values, sign } of keys) {
      const a = values[i] ?? null;
      const b = values[j] ?? null;
      const aMissing = isMissing(a);
      const bMissing = isMissing(b);
      if (aMissing && bMissing) continue;
      if (aMissing) return 1;
      if (bMissing) return -1;
      const c = compareValues(a, b);
      if (c !== 0) return sign * c;
    }
    return i - j;
  });
}

/**
 * The sort after a header click. Click: sort by that column alone, cycling ascending ->
 * descending -> unsorted. Shift-click: add the column as a further key, or cycle its direction
 * in place (descending -> removed).
 */
export function nextSort(sort: SortKey[], column: string, multi: boolean): SortKey[] {
  const existing = sort.find((key) => key.column === column);
  if (!multi) {
    if (existing && sort.length === 1) return existing.descending ? [] : [{ column, descending: true }];
    return [{ column, descending: false }];
  }
  if (!existing) return [...sort, { column, descending: false }];
  if (!existing.descending) return sort.map((key) => (key.column === column ? { column, descending: true } : key));
  return sort.filter((key) => key.column !== column);
}
