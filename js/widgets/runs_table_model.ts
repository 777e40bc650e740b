// The run table's state and what a person can do to it, without the DOM: which columns show,
// which display rows the kernel has sent (the page), the keyboard cursor, and the transitions
// (sort, filter, group, choose columns, click, keys). The runs stay in the kernel: it sorts,
// filters and groups them and sends the window of rows in view (`window` -> `page`), so the
// browser holds a few hundred rows whatever the number of runs. Selections are made by the
// kernel too (custom messages): a shift-click range or select-all reaches runs never sent.
// A big table's runs load in the kernel after its first page: the kernel says how many are
// loading in a custom message ({type: "loading", runs}), asked for once here.
// The view (runs_table.ts) draws it and forwards events; this is unit-tested on its own.

import { formatCount } from "../shared/format";
import { commit, type Model, onChange } from "../shared/model";
import type { Cell, Column, RunsTableState, SortKey, TableGroup, TablePage } from "../shared/types";
import { toggleColumn } from "./table/chooser";
import { nextSort } from "./table/sort";
import { type RowWindow, visibleWindow } from "./table/virtual";

export const ROW_HEIGHT = 28;
export const HEADER_HEIGHT = 30;
const MAX_VISIBLE_ROWS = 15;

/**
 * What changed, so the view redraws no more than it must: "table" (order, groups or columns:
 * rebuild), "rows" (a page of rows came: refill those in view), "selection" and "cursor"
 * (repaint the rows in view), "error", "filter".
 */
export type Change = "table" | "rows" | "selection" | "cursor" | "error" | "filter" | "loading";

/** What a key did in the grid: nothing (not a table key), moved the cursor (the view brings
 * it into view), or changed the selection in place. */
export type KeyOutcome = "ignored" | "moved" | "selected";

/** A header's sort mark: " ▲", " ▼2" (the key's rank, when sorting by several). */
export interface SortMark {
  arrow: string;
  ariaSort: "ascending" | "descending" | "none";
}

/** Rows asked for beyond those in view, each way: scrolling that far needs no round trip. */
export const PAGE_MARGIN = 150;

/** Modifier keys of a click: ctrl/cmd toggles, shift selects a range from the anchor. */
export interface Modifiers {
  toggle: boolean;
  range: boolean;
}

/** The widget model with the channel to the kernel that anywidget's model has. */
export type TableChannel = Model<RunsTableState> & { send?(content: object): void };

/** anywidget's custom messages from the kernel. */
interface MessageEvents {
  on(event: "msg:custom", callback: (message: unknown) => void): void;
  off(event: "msg:custom", callback: (message: unknown) => void): void;
}

/** The line under the grid and whether the grid shows at all. */
export interface Status {
  count: number;
  empty: boolean;
  emptyText: string; // "" unless empty
  countText: string; // "5 runs · 2 selected", "100,000 runs · loading…"
  gridHeight: number; // px: header plus up to MAX_VISIBLE_ROWS rows
}

/** Rows a PageUp/PageDown moves by in a `viewport`-high view: one fewer than fit, at least one. */
export function pageRows(viewport: number): number {
  return Math.max(1, Math.floor(viewport / ROW_HEIGHT) - 1);
}

export class RunsTableModel {
  /** The visible columns, in order (names the kernel does not know are skipped). */
  columns: Column[] = [];
  /** Display position of the keyboard cursor; -1 before the first click or key. */
  cursor = -1;
  /** Runs the kernel is still loading (0: every run is there; sorting and far rows wait);
   * null until the kernel said. */
  loadingRuns: number | null = null;
  /** The window last asked of the kernel (not asked again while its page is on its way). */
  private asked: { start: number; end: number } | null = null;
  private readonly listeners = new Set<(change: Change) => void>();
  private readonly stops: (() => void)[] = [];

  constructor(readonly model: TableChannel) {
    this.recompute();
    this.stops.push(
      onChange(
        model,
        ["sort", "columns", "visible_columns", "empty_message", "groups", "group_by", "collapsed", "row_count"],
        () => {
          this.asked = null; // what the kernel sends now answers the window it holds
          this.recompute();
          this.emit("table");
        },
      ),
      onChange(model, ["page"], () => this.emit("rows")),
      onChange(model, ["selected"], () => this.emit("selection")),
      onChange(model, ["error"], () => this.emit("error")),
      onChange(model, ["filter"], () => this.emit("filter")),
    );
    const events = model as unknown as MessageEvents;
    const onMessage = (message: unknown) => {
      const content = message as { type?: string; runs?: unknown };
      if (content?.type !== "loading" || typeof content.runs !== "number") return;
      this.loadingRuns = content.runs;
      this.emit("loading");
    };
    events.on("msg:custom", onMessage);
    this.stops.push(() => events.off("msg:custom", onMessage));
    this.send({ type: "get_loading" }, true); // a load started before this view was drawn
  }

  /** The widget model as shared state (its `send` aside). */
  private get kernel(): Model<RunsTableState> {
    return this.model;
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
    const byName = new Map(this.allColumns.map((c) => [c.name, c]));
    this.columns = this.visibleColumns.flatMap((name) => {
      const column = byName.get(name);
      return column ? [column] : [];
    });
    if (this.cursor >= this.rowCount) this.cursor = this.rowCount - 1;
  }

  /** Display rows: runs, and group headers when grouped. */
  get rowCount(): number {
    return this.model.get("row_count") ?? 0;
  }

  /** Runs matching the filter. */
  get runCount(): number {
    return this.model.get("run_count") ?? 0;
  }

  /** The rows the kernel sent last. */
  get page(): TablePage {
    return this.model.get("page") ?? { start: 0, run_id: [], group: [], data: {} };
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

  /** Names of the groups whose runs are hidden. */
  get collapsed(): string[] {
    return this.model.get("collapsed") ?? [];
  }

  /** Where display `position` is in the page, or -1 when the kernel has not sent it (yet). */
  private slot(position: number): number {
    const page = this.page;
    const at = position - page.start;
    return at >= 0 && at < page.run_id.length && position < this.rowCount ? at : -1;
  }

  /** Whether the kernel has sent display row `position`. */
  loaded(position: number): boolean {
    return this.slot(position) >= 0;
  }

  /** The run at display `position` ("" for a group's header or a row not sent yet). */
  runId(position: number): string {
    const at = this.slot(position);
    return at < 0 ? "" : this.page.run_id[at];
  }

  /** The group whose header is at display `position`, or null for a run's row. */
  groupAt(position: number): { group: TableGroup; collapsed: boolean } | null {
    const at = this.slot(position);
    const g = at < 0 ? -1 : (this.page.group[at] ?? -1);
    const group = g >= 0 ? this.groups[g] : undefined;
    return group ? { group, collapsed: this.collapsed.includes(group.name) } : null;
  }

  /** The value `column` shows at display `position` (undefined when not sent). */
  value(position: number, column: string): Cell | undefined {
    const at = this.slot(position);
    return at < 0 ? undefined : this.page.data[column]?.[at];
  }

  isSelected(position: number, selected: ReadonlySet<string> = new Set(this.selected)): boolean {
    const id = this.runId(position);
    return id !== "" && selected.has(id);
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
    const count = this.runCount;
    const empty = count === 0;
    const chosen = this.selected.length;
    const groups = this.groups.length;
    const grouped = groups ? ` in ${formatCount(groups)} ${groups === 1 ? "group" : "groups"}` : "";
    return {
      count,
      empty,
      emptyText: empty ? this.model.get("empty_message") || "No runs match this filter." : "",
      countText: `${formatCount(count)} ${count === 1 ? "run" : "runs"}${grouped}${chosen ? ` · ${formatCount(chosen)} selected` : ""}${this.loadingRuns ? ` · loading ${formatCount(this.loadingRuns)} runs…` : ""}`,
      gridHeight: HEADER_HEIGHT + Math.min(Math.max(this.rowCount, 1), MAX_VISIBLE_ROWS) * ROW_HEIGHT + 2,
    };
  }

  /** The rows to render for a view scrolled to `scrollTop`, `viewport` px high (below the header). */
  window(scrollTop: number, viewport: number): RowWindow {
    return visibleWindow(scrollTop, viewport, ROW_HEIGHT, this.rowCount);
  }

  /**
   * Ask the kernel for the rows of `win` (plus PAGE_MARGIN each way) unless its page holds
   * them or they were just asked for; returns whether it asked.
   */
  request(win: RowWindow): boolean {
    const page = this.page;
    const held = win.start >= page.start && Math.min(win.end, this.rowCount) <= page.start + page.run_id.length;
    const asked = this.asked !== null && win.start >= this.asked.start && win.end <= this.asked.end;
    if (held || asked || win.end <= win.start) return false;
    this.asked = { start: Math.max(0, win.start - PAGE_MARGIN), end: win.end + PAGE_MARGIN };
    commit(this.kernel, "window", this.asked);
    return true;
  }

  // Transitions. Those of shared state go to the kernel (commit or a message); the table
  // redraws when the change comes back, so a kernel-side change draws the same way.

  /** Apply filter text (the kernel re-queries; a bad filter comes back as `error`). */
  applyFilter(text: string): void {
    commit(this.kernel, "filter", text.trim());
  }

  /** A header click: sort by `column` alone, or (multi) as a further key. */
  sortBy(column: string, multi: boolean): void {
    this.asked = null; // the page the kernel sends back is a new one
    commit(this.kernel, "sort", nextSort(this.sort, column, multi));
  }

  /** Group rows by `column` ("" for no grouping): the kernel sends the groups back. */
  setGroupBy(column: string): void {
    this.asked = null;
    commit(this.kernel, "group_by", column);
  }

  /** Collapse a group's runs under its header, or show them again (the kernel rearranges). */
  toggleGroup(name: string): void {
    const collapsed = this.collapsed;
    this.asked = null;
    commit(
      this.kernel,
      "collapsed",
      collapsed.includes(name) ? collapsed.filter((n) => n !== name) : [...collapsed, name],
    );
  }

  /** Show (appended last) or hide a column. */
  showColumn(name: string, show: boolean): void {
    this.asked = null;
    commit(this.kernel, "visible_columns", toggleColumn(this.visibleColumns, name, show));
  }

  /** A click on the row at display `position`; the cursor goes there. */
  click(position: number, modifiers: Modifiers): void {
    this.moveTo(position);
    this.send({ type: "select", position, toggle: modifiers.toggle, range: modifiers.range, key: false });
  }

  /**
   * A key pressed in the grid: arrows, Page Up/Down (by `pageRows(viewport)`), Home and End
   * move the cursor and select its row (shift: extend from the anchor); space toggles the
   * cursor's row (on a group's header, space or Enter collapses the group); Escape clears
   * the selection; ctrl/cmd+A selects every run the filter matches.
   */
  pressKey(key: string, extend: boolean, viewport: number, ctrl = false): KeyOutcome {
    const cursor = this.cursor;
    const page = pageRows(viewport);
    const moves: Record<string, number> = {
      ArrowDown: cursor + 1,
      ArrowUp: cursor - 1,
      PageDown: cursor + page,
      PageUp: cursor - page,
      Home: 0,
      End: this.rowCount - 1,
    };
    if (key in moves) {
      if (!this.rowCount) return "moved";
      const to = Math.min(this.rowCount - 1, Math.max(0, cursor < 0 ? 0 : moves[key]));
      this.moveTo(to);
      this.send({ type: "select", position: to, toggle: false, range: extend, key: true });
      return "moved";
    }
    if (ctrl && key.toLowerCase() === "a") {
      this.send({ type: "select_all" });
      return "selected";
    }
    const header = this.groupAt(cursor);
    if ((key === " " || key === "Enter") && header) {
      this.toggleGroup(header.group.name); // on a group's header: hide or show its runs
      return "selected";
    }
    if (key === " " && cursor >= 0) {
      this.send({ type: "select", position: cursor, toggle: true, range: false, key: false });
      return "selected";
    }
    if (key === "Escape") {
      commit(this.kernel, "selected", []);
      return "selected";
    }
    return "ignored";
  }

  /** Move the cursor to `position`; a move is a change of its own (the selection may stay). */
  private moveTo(position: number): void {
    if (position === this.cursor) return;
    this.cursor = position;
    this.emit("cursor");
  }

  private send(content: object, quiet = false): void {
    if (typeof this.model.send !== "function") {
      if (quiet) return;
      console.warn("labtrack: no kernel channel here; selections need a running kernel");
      return;
    }
    this.model.send(content);
  }

  /** Stop listening to the widget model and drop every listener. */
  dispose(): void {
    for (const stop of this.stops.splice(0)) stop();
    this.listeners.clear();
  }
}
