// The run table's state and what a person can do to it, without the DOM: which columns show,
// the rows in sorted order, the keyboard cursor, the selection's anchor, and the transitions
// (sort, filter, choose columns, click, keys). Shared state lives in the widget's traitlets
// (sort, filter, visible_columns, selected go to Python); the rest is the table's own.
// The view (runs_table.ts) draws it and forwards events; this is unit-tested on its own.

import { formatCount } from "../shared/format";
import { commit, type Model, onChange } from "../shared/model";
import type { Cell, Column, RunsTableState, SortKey, TableGroup } from "../shared/types";
import { toggleColumn } from "./table/chooser";
import { clickSelection, type Modifiers, moveSelection, type Selection, toggleSelection } from "./table/selection";
import { nextSort, sortOrder } from "./table/sort";
import { type RowWindow, visibleWindow } from "./table/virtual";

export const ROW_HEIGHT = 28;
export const HEADER_HEIGHT = 30;
const MAX_VISIBLE_ROWS = 15;

/**
 * What changed, so the view redraws no more than it must: "table" (rows, order or columns:
 * rebuild), "selection" and "cursor" (repaint the rows in view), "error", "filter".
 */
export type Change = "table" | "selection" | "cursor" | "error" | "filter";

/** What a key did in the grid: nothing (not a table key), moved the cursor (the view brings
 * it into view), or changed the selection in place. */
export type KeyOutcome = "ignored" | "moved" | "selected";

/** A header's sort mark: " ▲", " ▼2" (the key's rank, when sorting by several). */
export interface SortMark {
  arrow: string;
  ariaSort: "ascending" | "descending" | "none";
}

/** A display row: a group's header (lt.runs(group_by=...)) or a run (its index in `data`). */
export type Item = { kind: "group"; group: TableGroup; collapsed: boolean } | { kind: "run"; index: number };

/**
 * Display rows: with groups, each group's header, then (unless collapsed) its runs in `order`
 * (the sorted order, so sorting applies within groups); without, the runs in `order`.
 */
export function groupItems(order: number[], groups: TableGroup[], collapsed: ReadonlySet<string>): Item[] {
  if (!groups.length) return order.map((index) => ({ kind: "run", index }));
  const groupOf = new Map<number, number>();
  groups.forEach((group, g) => {
    for (const row of group.rows) groupOf.set(row, g);
  });
  const members: number[][] = groups.map(() => []);
  for (const index of order) {
    const g = groupOf.get(index);
    if (g !== undefined) members[g].push(index);
  }
  return groups.flatMap((group, g): Item[] => {
    const closed = collapsed.has(group.name);
    const header: Item = { kind: "group", group, collapsed: closed };
    return closed ? [header] : [header, ...members[g].map((index): Item => ({ kind: "run", index }))];
  });
}

/** The line under the grid and whether the grid shows at all. */
export interface Status {
  count: number;
  empty: boolean;
  emptyText: string; // "" unless empty
  countText: string; // "5 runs · 2 selected"
  gridHeight: number; // px: header plus up to MAX_VISIBLE_ROWS rows
}

/** Rows a PageUp/PageDown moves by in a `viewport`-high view: one fewer than fit, at least one. */
export function pageRows(viewport: number): number {
  return Math.max(1, Math.floor(viewport / ROW_HEIGHT) - 1);
}

export class RunsTableModel {
  /** The visible columns, in order (names the kernel does not know are skipped). */
  columns: Column[] = [];
  /** Display rows: group headers (when grouped) and runs. */
  items: Item[] = [];
  /** Data row index per display position (-1 for a group's header), in display (sorted) order. */
  order: number[] = [];
  /** Run ids per display position ("" for a group's header). */
  ids: string[] = [];
  /** Names of the groups whose runs are hidden (the table's own state, not the kernel's). */
  private readonly collapsed = new Set<string>();
  /** Display position of the keyboard cursor; -1 before the first click or key. */
  cursor = -1;
  /** Run id that shift-click and shift-arrow ranges start from. */
  private anchor: string | null = null;
  private readonly listeners = new Set<(change: Change) => void>();
  private readonly stops: (() => void)[] = [];

  constructor(readonly model: Model<RunsTableState>) {
    this.recompute();
    this.stops.push(
      onChange(model, ["data", "sort", "columns", "visible_columns", "empty_message", "groups", "group_by"], () => {
        this.recompute();
        this.emit("table");
      }),
      onChange(model, ["selected"], () => this.emit("selection")),
      onChange(model, ["error"], () => this.emit("error")),
      onChange(model, ["filter"], () => this.emit("filter")),
    );
  }

  /** Call `listener` after every change; returns the function that stops it. */
  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: Change): void {
    for (const listener of [...this.listeners]) listener(change);
  }

  private recompute(): void {
    const data = this.data;
    const runIds = data.run_id ?? [];
    const sorted = sortOrder(data, this.sort, runIds.length);
    this.items = groupItems(sorted, this.groups, this.collapsed);
    this.order = this.items.map((item) => (item.kind === "run" ? item.index : -1));
    this.ids = this.items.map((item) => (item.kind === "run" ? String(runIds[item.index]) : ""));
    const byName = new Map(this.allColumns.map((c) => [c.name, c]));
    this.columns = this.visibleColumns.flatMap((name) => {
      const column = byName.get(name);
      return column ? [column] : [];
    });
    if (this.cursor >= this.ids.length) this.cursor = this.ids.length - 1;
  }

  get data(): Record<string, Cell[]> {
    return this.model.get("data") ?? {};
  }

  get sort(): SortKey[] {
    return this.model.get("sort") ?? [];
  }

  /** Every column the kernel offers (the chooser lists them). */
  get allColumns(): Column[] {
    return this.model.get("columns") ?? [];
  }

  get visibleColumns(): string[] {
    return this.model.get("visible_columns") ?? [];
  }

  /** The filter as last applied (the kernel's). */
  get filter(): string {
    return this.model.get("filter") ?? "";
  }

  /** Why the filter failed ("" when fine). */
  get error(): string {
    return this.model.get("error") ?? "";
  }

  get selected(): string[] {
    return this.model.get("selected") ?? [];
  }

  /** The column the kernel groups rows by ("" for none). */
  get groupBy(): string {
    return this.model.get("group_by") ?? "";
  }

  /** The kernel's groups (empty when not grouped). */
  get groups(): TableGroup[] {
    return this.groupBy ? (this.model.get("groups") ?? []) : [];
  }

  /** The group whose header is at display `position`, or null for a run's row. */
  groupAt(position: number): { group: TableGroup; collapsed: boolean } | null {
    const item = this.items[position];
    return item?.kind === "group" ? item : null;
  }

  /** The value `column` shows at display `position`. */
  value(position: number, column: string): Cell | undefined {
    return this.data[column]?.[this.order[position]];
  }

  isSelected(position: number, selected: ReadonlySet<string> = new Set(this.selected)): boolean {
    return selected.has(this.ids[position]);
  }

  sortMark(column: string): SortMark {
    const sort = this.sort;
    const at = sort.findIndex((key) => key.column === column);
    const key = sort[at];
    if (!key) return { arrow: "", ariaSort: "none" };
    return {
      arrow: (key.descending ? " ▼" : " ▲") + (sort.length > 1 ? String(at + 1) : ""),
      ariaSort: key.descending ? "descending" : "ascending",
    };
  }

  status(): Status {
    const count = (this.data.run_id ?? []).length;
    const empty = count === 0;
    const chosen = this.selected.length;
    const groups = this.groups.length;
    const grouped = groups ? ` in ${formatCount(groups)} ${groups === 1 ? "group" : "groups"}` : "";
    return {
      count,
      empty,
      emptyText: empty ? this.model.get("empty_message") || "No runs match this filter." : "",
      countText: `${formatCount(count)} ${count === 1 ? "run" : "runs"}${grouped}${chosen ? ` · ${formatCount(chosen)} selected` : ""}`,
      gridHeight: HEADER_HEIGHT + Math.min(Math.max(this.items.length, 1), MAX_VISIBLE_ROWS) * ROW_HEIGHT + 2,
    };
  }

  /** The rows to render for a view scrolled to `scrollTop`, `viewport` px high (below the header). */
  window(scrollTop: number, viewport: number): RowWindow {
    return visibleWindow(scrollTop, viewport, ROW_HEIGHT, this.ids.length);
  }

  // Transitions. Those of shared state go to the kernel (commit); the table redraws when the
  // change comes back as a traitlet event, so a kernel-side change draws the same way.

  /** Apply filter text (the kernel re-queries; a bad filter comes back as `error`). */
  applyFilter(text: string): void {
    commit(this.model, "filter", text.trim());
  }

  /** A header click: sort by `column` alone, or (multi) as a further key. */
  sortBy(column: string, multi: boolean): void {
    commit(this.model, "sort", nextSort(this.sort, column, multi));
  }

  /** Group rows by `column` ("" for no grouping): the kernel sends the groups back. */
  setGroupBy(column: string): void {
    commit(this.model, "group_by", column);
  }

  /** Collapse a group's runs under its header, or show them again. */
  toggleGroup(name: string): void {
    if (!this.collapsed.delete(name)) this.collapsed.add(name);
    this.recompute();
    this.emit("table");
  }

  /** Show (appended last) or hide a column. */
  showColumn(name: string, show: boolean): void {
    commit(this.model, "visible_columns", toggleColumn(this.visibleColumns, name, show));
  }

  /** A click on the row at display `position`; the cursor goes there. */
  click(position: number, modifiers: Modifiers): void {
    this.select(position, (current) => clickSelection(this.ids, current, position, modifiers));
  }

  /**
   * A key pressed in the grid: arrows, Page Up/Down (by `pageRows(viewport)`), Home and End
   * move the cursor and select its row (shift: extend from the anchor); space toggles the
   * cursor's row (on a group's header, space or Enter collapses the group); Escape clears
   * the selection.
   */
  pressKey(key: string, extend: boolean, viewport: number): KeyOutcome {
    const cursor = this.cursor;
    const page = pageRows(viewport);
    const moves: Record<string, number> = {
      ArrowDown: cursor + 1,
      ArrowUp: cursor - 1,
      PageDown: cursor + page,
      PageUp: cursor - page,
      Home: 0,
      End: this.ids.length - 1,
    };
    if (key in moves) {
      this.moveCursor(cursor < 0 ? 0 : moves[key], extend);
      return "moved";
    }
    const header = this.groupAt(cursor);
    if ((key === " " || key === "Enter") && header) {
      this.toggleGroup(header.group.name); // on a group's header: hide or show its runs
      return "selected";
    }
    if (key === " " && cursor >= 0) {
      this.select(cursor, (current) => toggleSelection(this.ids, current, cursor));
      return "selected";
    }
    if (key === "Escape") {
      this.select(cursor, () => ({ selected: [], anchor: null }));
      return "selected";
    }
    return "ignored";
  }

  private moveCursor(position: number, extend: boolean): void {
    if (!this.ids.length) return;
    const to = Math.min(this.ids.length - 1, Math.max(0, position));
    this.select(to, (current) => moveSelection(this.ids, current, to, extend));
  }

  /** Move the cursor to `position` and commit the selection `next` makes of the current one. */
  private select(position: number, next: (current: Selection) => Selection): void {
    const moved = position !== this.cursor;
    this.cursor = position;
    const selection = next({ selected: this.selected, anchor: this.anchor });
    // A group's header ("" in ids) is no run: never selected, never an anchor.
    this.anchor = selection.anchor || null;
    commit(
      this.model,
      "selected",
      selection.selected.filter((id) => id !== ""),
    );
    // The kernel's model sends no change event for an equal selection: repaint the cursor anyway.
    if (moved) this.emit("cursor");
  }

  /** Stop listening to the widget model and drop every listener. */
  dispose(): void {
    for (const stop of this.stops.splice(0)) stop();
    this.listeners.clear();
  }
}
