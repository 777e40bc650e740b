// A stand-in for the kernel behind the paged run table: it holds every run's columns and
// answers the table as RunsTable (src/labtrack/widgets/runs_table.py) does: a new window,
// sort or column choice sends back the page of those rows; custom messages are recorded,
// except the question how many runs are loading, which it answers (`loading`).

import type { Cell, RunsTableState } from "../shared/types";
import { sortOrder } from "../widgets/table/sort";
import { FakeModel, fixtures } from "./helpers";

export class PagedModel extends FakeModel<RunsTableState> {
  /** The custom messages the table sent to the kernel. */
  readonly sent: Record<string, unknown>[] = [];
  /** While true, asks go unanswered (a kernel busy elsewhere). */
  paused = false;
  /** Windows the table asked for, in order. */
  readonly windows: { start: number; end: number }[] = [];
  /** Runs the stand-in says are loading, as a big table's kernel does after the first page. */
  loading = 0;
  private readonly custom = new Set<(message: unknown) => void>();

  constructor(
    state: RunsTableState,
    private full: Record<string, Cell[]>,
  ) {
    super(state);
    this.answer();
  }

  override set<K extends keyof RunsTableState & string>(key: K, value: RunsTableState[K]): void {
    super.set(key, value);
    if (key === "window") this.windows.push(value as { start: number; end: number });
    if (!this.paused && (key === "window" || key === "sort" || key === "visible_columns")) this.answer();
  }

  /** Answer again, as after a pause. */
  resume(): void {
    this.paused = false;
    this.answer();
  }

  send(content: object): void {
    if ((content as { type?: string }).type === "get_loading") this.tell({ type: "loading", runs: this.loading });
    else this.sent.push(content as Record<string, unknown>);
  }

  /** A custom message from the kernel. */
  tell(content: object): void {
    for (const callback of [...this.custom]) callback(content);
  }

  override on(event: string, callback: () => void): void {
    if (event === "msg:custom") this.custom.add(callback);
    else super.on(event, callback);
  }

  override off(event?: string | null, callback?: (() => void) | null): void {
    if (event === "msg:custom" && callback) this.custom.delete(callback);
    else super.off(event, callback);
  }

  override listenerCount(): number {
    return super.listenerCount() + this.custom.size;
  }

  /** Replace every run (a new query) and send the counts and page. */
  load(full: Record<string, Cell[]>): void {
    this.full = full;
    this.answer();
  }

  private answer(): void {
    const count = (this.full.run_id ?? []).length;
    const order = sortOrder(this.full, this.get("sort") ?? [], count);
    const { start, end } = this.get("window") ?? { start: 0, end: 60 };
    const rows = order.slice(Math.min(start, count), Math.min(end, count));
    const data: Record<string, Cell[]> = {};
    for (const name of this.get("visible_columns")) {
      if (this.full[name]) data[name] = rows.map((i) => this.full[name][i]);
    }
    super.set("run_count", count);
    super.set("row_count", count);
    super.set("page", {
      start: Math.min(start, count),
      run_id: rows.map((i) => String(this.full.run_id[i])),
      group: rows.map(() => -1),
      data,
    });
  }
}

/** The fixture's runs as full columns (its page holds them all). */
export function fixtureColumns(state: RunsTableState = fixtures.runsTable()): Record<string, Cell[]> {
  return { ...state.page.data, run_id: state.page.run_id };
}

/** A kernel stand-in over the fixture, or over `full` columns instead of the fixture's runs. */
export function pagedModel(full?: Record<string, Cell[]>, visible?: string[]): PagedModel {
  const state = fixtures.runsTable();
  if (visible) state.visible_columns = visible;
  return new PagedModel(state, full ?? fixtureColumns(state));
}
