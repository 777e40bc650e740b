// lt.runs(): a virtualized, sortable, filterable table of runs, paged from the kernel: only
// the rows in view (plus a margin) come to the browser; sorting, filtering (Enter sets
// `filter`, a bad one comes back as `error`), grouping and selecting are the kernel's.
// The state and its transitions are RunsTableModel's (runs_table_model.ts); this file only
// draws it and turns DOM events into its calls.

import { runSwatch } from "../shared/colors";
import { selectControl } from "../shared/controls";
import { h, replaceChildren, widgetRoot } from "../shared/dom";
import { formatCount, formatDuration, formatNumber } from "../shared/format";
import { Disposer, type RenderProps } from "../shared/model";
import { selectedRunNote } from "../shared/notes";
import { coalesce } from "../shared/schedule";
import type { Aggregate, Column, RunsTableState, TableGroup } from "../shared/types";
import { type Change, HEADER_HEIGHT, ROW_HEIGHT, RunsTableModel } from "./runs_table_model";
import { columnWidth, fillCell, isNumericColumn } from "./table/cells";
import { columnChooser } from "./table/chooser";
import { revealRow } from "./table/virtual";

export { HEADER_HEIGHT, ROW_HEIGHT };

/** Columns the table can group by: text columns (params, tags, status, ...), not numbers or times. */
export function groupableColumns(columns: Column[]): Column[] {
  return columns.filter((c) => (c.dtype === "string" || c.dtype === "status") && c.name !== "run_id");
}

/** A numeric column's aggregate as a header cell shows it: the mean, and under it "min – max". */
export function aggregateText(column: Column, aggregate: Aggregate): { text: string; range: string; title: string } {
  const show = column.dtype === "duration" ? formatDuration : formatNumber;
  return {
    text: show(aggregate.mean),
    range: `${show(aggregate.min)} – ${show(aggregate.max)}`,
    title: `${column.label}: mean ${aggregate.mean}, min ${aggregate.min}, max ${aggregate.max}`,
  };
}

/** Fill a group's header row: toggle, colour, name and run count, then aggregates. */
function fillGroupRow(element: HTMLElement, columns: Column[], group: TableGroup, collapsed: boolean): void {
  element.classList.add("lt-group-row");
  element.setAttribute("aria-expanded", String(!collapsed));
  columns.forEach((column, i) => {
    const cell = element.children[i] as HTMLElement;
    cell.className = isNumericColumn(column) ? "lt-td lt-num" : "lt-td";
    if (i === 0) {
      cell.className = "lt-td lt-group-name";
      cell.title = `${group.name}: ${group.count} ${group.count === 1 ? "run" : "runs"} (click to ${collapsed ? "show" : "hide"} them)`;
      cell.append(
        h("span", { class: "lt-group-toggle", text: collapsed ? "▸" : "▾" }),
        runSwatch(group.name),
        h("span", { text: group.name }),
        h("span", { class: "lt-group-count", text: ` · ${formatCount(group.count)}` }),
      );
      return;
    }
    const aggregate = group.aggregates[column.name];
    if (!aggregate) return;
    const shown = aggregateText(column, aggregate);
    cell.classList.add("lt-agg");
    cell.title = shown.title;
    cell.append(shown.text, h("span", { class: "lt-agg-range", text: shown.range }));
  });
}

function render({ model: widgetModel, el }: RenderProps<RunsTableState>): () => void {
  const disposer = new Disposer();
  const table = new RunsTableModel(widgetModel);
  disposer.add(() => table.dispose());

  const filter = h("input", {
    class: "lt-filter",
    attrs: {
      type: "text",
      spellcheck: "false",
      "aria-label": "filter runs",
      placeholder: "filter, e.g. metrics.acc > 0.9 and params.optimizer = 'adam'   (Enter to apply)",
    },
  });
  const chooser = columnChooser(disposer, (name, show) => table.showColumn(name, show));
  const groupSelect = selectControl("group by", [], disposer, (value) => table.setGroupBy(value));
  const error = h("div", { class: "lt-error", attrs: { role: "alert" } });
  const header = h("div", { class: "lt-thead", attrs: { role: "row" } });
  const body = h("div", { class: "lt-tbody", attrs: { role: "rowgroup" } });
  const scroller = h(
    "div",
    { class: "lt-scroll", attrs: { role: "grid", tabindex: 0, "aria-multiselectable": "true" } },
    [header, body],
  );
  const empty = h("div", { class: "lt-empty" });
  const countLine = h("div", { class: "lt-countline" });
  const note = selectedRunNote(widgetModel, disposer); // one selected run: its note, editable
  const root = widgetRoot("lt-runs", [
    h("div", { class: "lt-toolbar" }, [
      filter,
      h("label", { class: "lt-field lt-group-by" }, ["group ", groupSelect]),
      h("div", { class: "lt-popover-anchor" }, [chooser.button, chooser.panel]),
    ]),
    error,
    empty,
    scroller,
    countLine,
    note.el,
  ]);
  el.appendChild(root);
  disposer.add(() => root.remove());

  const rendered = new Map<number, HTMLElement>(); // display position -> row element
  const viewport = () => (scroller.clientHeight || Number.parseFloat(scroller.style.height) || 0) - HEADER_HEIGHT;

  function renderHeader(): void {
    replaceChildren(
      header,
      table.columns.map((column) => {
        const mark = table.sortMark(column.name);
        return h(
          "div",
          {
            class: `lt-th lt-group-${column.group}${isNumericColumn(column) ? " lt-num" : ""}`,
            title: `${column.name}\nclick: sort · shift-click: sort by several columns`,
            attrs: { role: "columnheader", "data-column": column.name, "aria-sort": mark.ariaSort },
            style: { width: `${columnWidth(column)}px` },
          },
          [h("span", { class: "lt-th-label", text: column.label }), h("span", { class: "lt-sort", text: mark.arrow })],
        );
      }),
    );
  }

  function createRow(): HTMLElement {
    const element = h("div", { class: "lt-tr", attrs: { role: "row" } });
    for (const column of table.columns) {
      element.appendChild(h("div", { attrs: { role: "gridcell" }, style: { width: `${columnWidth(column)}px` } }));
    }
    return element;
  }

  /** (Re)fill a row element for `position`: rows are recycled while scrolling, not rebuilt. */
  function fillRow(element: HTMLElement, position: number, now: number): void {
    element.dataset.index = String(position);
    element.style.transform = `translateY(${position * ROW_HEIGHT}px)`;
    element.classList.remove("lt-group-row");
    element.removeAttribute("aria-expanded");
    for (const cell of element.children) {
      (cell as HTMLElement).textContent = "";
      cell.removeAttribute("title");
    }
    // A row the kernel has not sent yet: an empty placeholder until its page comes.
    element.classList.toggle("lt-loading", !table.loaded(position));
    element.setAttribute("aria-busy", String(!table.loaded(position)));
    const header = table.groupAt(position);
    if (header) {
      fillGroupRow(element, table.columns, header.group, header.collapsed);
      element.dataset.group = header.group.name;
      return;
    }
    delete element.dataset.group;
    const runId = table.runId(position);
    table.columns.forEach((column, i) => {
      const cell = element.children[i] as HTMLElement;
      cell.className = isNumericColumn(column) ? "lt-td lt-num" : "lt-td";
      cell.textContent = "";
      cell.removeAttribute("title");
      if (!runId) return;
      fillCell(cell, column, table.value(position, column.name), now);
      if (i === 0) cell.prepend(runSwatch(runId)); // the run's colour in every widget
    });
  }

  function paintRow(element: HTMLElement, position: number, selected: Set<string>): void {
    const isSelected = table.isSelected(position, selected);
    element.classList.toggle("lt-selected", isSelected);
    element.classList.toggle("lt-cursor", position === table.cursor);
    element.setAttribute("aria-selected", String(isSelected));
  }

  /**
   * Render the rows in view, reusing the ones already there: `"refill"` fills them again (a
   * page came), `"rebuild"` drops them all (the columns changed). Refilled in place, a row
   * under the pointer stays the same element, so a click whose press and release straddle a
   * page's arrival still lands on its row.
   */
  function renderRows(how: "keep" | "refill" | "rebuild" = "keep"): void {
    if (how === "rebuild") {
      for (const element of rendered.values()) element.remove();
      rendered.clear();
    }
    const win = table.window(scroller.scrollTop, viewport());
    body.style.height = `${win.total}px`;
    const width = table.columns.reduce((sum, c) => sum + columnWidth(c), 0);
    body.style.width = header.style.width = `${width}px`;
    const spare: HTMLElement[] = [];
    for (const [position, element] of rendered) {
      if (position < win.start || position >= win.end) {
        rendered.delete(position);
        spare.push(element);
      }
    }
    const selected = new Set(table.selected);
    const now = Date.now();
    for (let position = win.start; position < win.end; position++) {
      let element = rendered.get(position);
      if (!element) {
        element = spare.pop() ?? body.appendChild(createRow());
        fillRow(element, position, now);
        rendered.set(position, element);
      } else if (how === "refill") {
        fillRow(element, position, now);
      }
      paintRow(element, position, selected);
    }
    for (const element of spare) element.remove();
    table.request(win); // last: the page may come back at once and redraw these rows
  }

  function renderStatus(): void {
    const status = table.status();
    empty.hidden = !status.empty;
    empty.textContent = status.emptyText;
    scroller.hidden = status.empty;
    scroller.style.height = `${status.gridHeight}px`;
    countLine.textContent = status.countText;
    // Runs loading in the kernel, once it said ("0": all there): for tests and benchmarks.
    if (table.loadingRuns !== null) countLine.dataset.loading = String(table.loadingRuns);
  }

  function renderError(): void {
    const text = table.error;
    error.textContent = text;
    error.hidden = !text;
    filter.classList.toggle("lt-invalid", !!text);
    filter.setAttribute("aria-invalid", String(!!text));
  }

  function renderGroupBy(): void {
    const options = groupableColumns(table.allColumns);
    replaceChildren(groupSelect, [
      h("option", { text: "none", attrs: { value: "" } }),
      ...options.map((c) => h("option", { text: c.group === "info" ? c.label : c.name, attrs: { value: c.name } })),
    ]);
    // A group_by the table does not list (a column passed from Python) still shows as chosen.
    if (table.groupBy && !options.some((c) => c.name === table.groupBy)) {
      groupSelect.appendChild(h("option", { text: table.groupBy, attrs: { value: table.groupBy } }));
    }
    groupSelect.value = table.groupBy;
  }

  function renderAll(): void {
    renderGroupBy();
    renderHeader();
    renderStatus();
    renderRows("rebuild");
    chooser.update(table.allColumns, table.visibleColumns);
  }

  const redraw: Record<Change, () => void> = {
    table: renderAll,
    selection: () => {
      renderStatus();
      renderRows();
    },
    cursor: () => renderRows(),
    rows: () => renderRows("refill"),
    error: renderError,
    loading: renderStatus,
    filter: () => {
      if (document.activeElement !== filter) filter.value = table.filter;
    },
  };
  disposer.add(table.subscribe((change) => redraw[change]()));
  disposer.add(table.subscribe(() => note.follow(table.selected)));

  // Filter: applied on Enter (a query per keystroke would hammer the store); Escape reverts.
  disposer.listen<KeyboardEvent>(filter, "keydown", (event) => {
    if (event.key === "Enter") table.applyFilter(filter.value);
    else if (event.key === "Escape") filter.value = table.filter;
  });
  disposer.listen<MouseEvent>(header, "click", (event) => {
    const name = (event.target as Element).closest<HTMLElement>("[data-column]")?.dataset.column;
    if (name) table.sortBy(name, event.shiftKey);
  });
  // Shift-click would otherwise select the page's text across the range.
  disposer.listen<MouseEvent>(body, "mousedown", (event) => {
    if (event.shiftKey) event.preventDefault();
  });
  disposer.listen<MouseEvent>(body, "click", (event) => {
    const row = (event.target as Element).closest<HTMLElement>(".lt-tr");
    if (!row) return;
    if (row.dataset.group !== undefined) {
      table.toggleGroup(row.dataset.group); // a group's header: show or hide its runs
      return;
    }
    table.click(Number(row.dataset.index), { toggle: event.ctrlKey || event.metaKey, range: event.shiftKey });
    scroller.focus({ preventScroll: true });
  });
  disposer.listen<KeyboardEvent>(scroller, "keydown", (event) => {
    const outcome = table.pressKey(event.key, event.shiftKey, viewport(), event.ctrlKey || event.metaKey);
    if (outcome === "ignored") return;
    if (outcome === "moved" && table.cursor >= 0) {
      scroller.scrollTop = revealRow(table.cursor, scroller.scrollTop, viewport(), ROW_HEIGHT);
      renderRows(); // now, not at the scroll event's frame: the cursor's row must exist
    }
    event.preventDefault(); // keep the page (and the notebook) from scrolling or acting
    event.stopPropagation();
  });

  const scrolled = coalesce(() => renderRows());
  disposer.listen(scroller, "scroll", () => scrolled.schedule(), { passive: true });
  disposer.add(() => scrolled.cancel());

  filter.value = table.filter;
  renderError();
  renderAll();
  note.follow(table.selected);
  return () => disposer.dispose();
}

export default { render };
