// lt.runs(): a virtualized, sortable, filterable table of runs. Sorting happens here over
// `data`; filtering is the kernel's (Enter sets `filter`, a bad one comes back as `error`).

import { h, replaceChildren, widgetRoot } from "../shared/dom";
import { formatCount } from "../shared/format";
import { commit, Disposer, onChange, type RenderProps } from "../shared/model";
import type { Column, RunsTableState } from "../shared/types";
import { columnWidth, fillCell, isNumericColumn } from "./table/cells";
import { columnChooser, toggleColumn } from "./table/chooser";
import { clickSelection, moveSelection, toggleSelection, type Selection } from "./table/selection";
import { nextSort, sortOrder } from "./table/sort";
import { revealRow, visibleWindow } from "./table/virtual";

export const ROW_HEIGHT = 28;
export const HEADER_HEIGHT = 30;
const MAX_VISIBLE_ROWS = 15;

function render({ model, el }: RenderProps<RunsTableState>): () => void {
  const disposer = new Disposer();
  const filter = h("input", { class: "lt-filter", attrs: { type: "text", spellcheck: "false", "aria-label": "filter runs",
    placeholder: "filter, e.g. metrics.acc > 0.9 and params.optimizer = 'adam'   (Enter to apply)" } });
  const chooser = columnChooser(disposer, (name, show) =>
    commit(model, "visible_columns", toggleColumn(model.get("visible_columns") ?? [], name, show)));
  const error = h("div", { class: "lt-error", attrs: { role: "alert" } });
  const header = h("div", { class: "lt-thead", attrs: { role: "row" } });
  const body = h("div", { class: "lt-tbody", attrs: { role: "rowgroup" } });
  const scroller = h("div", { class: "lt-scroll", attrs: { role: "grid", tabindex: 0, "aria-multiselectable": "true" } }, [header, body]);
  const empty = h("div", { class: "lt-empty" });
  const countLine = h("div", { class: "lt-countline" });
  const root = widgetRoot("lt-runs", [
    h("div", { class: "lt-toolbar" }, [filter, h("div", { class: "lt-popover-anchor" }, [chooser.button, chooser.panel])]),
    error, empty, scroller, countLine,
  ]);
  el.appendChild(root);
  disposer.add(() => root.remove());

  let columns: Column[] = [];
  let order: number[] = []; // row indices in display order
  let ids: string[] = []; // run ids in display order
  let anchor: string | null = null;
  let cursor = -1;
  const rendered = new Map<number, HTMLElement>(); // display position -> row element

  const selection = (): Selection => ({ selected: model.get("selected") ?? [], anchor });
  const apply = (next: Selection) => {
    anchor = next.anchor;
    commit(model, "selected", next.selected);
  };
  const viewport = () => (scroller.clientHeight || Number.parseFloat(scroller.style.height) || 0) - HEADER_HEIGHT;

  function recompute(): void {
    const data = model.get("data") ?? {};
    const count = (data["run_id"] ?? []).length;
    order = sortOrder(data, model.get("sort") ?? [], count);
    const runIds = data["run_id"] ?? [];
    ids = order.map((i) => String(runIds[i]));
    const byName = new Map((model.get("columns") ?? []).map((c) => [c.name, c]));
    columns = (model.get("visible_columns") ?? []).flatMap((name) => {
      const column = byName.get(name);
      return column ? [column] : [];
    });
    if (cursor >= ids.length) cursor = ids.length - 1;
  }

  function renderHeader(): void {
    const sort = model.get("sort") ?? [];
    replaceChildren(header, columns.map((column) => {
      const at = sort.findIndex((key) => key.column === column.name);
      const key = sort[at];
      const arrow = key ? (key.descending ? " ▼" : " ▲") + (sort.length > 1 ? String(at + 1) : "") : "";
      return h("div", {
        class: `lt-th lt-group-${column.group}${isNumericColumn(column) ? " lt-num" : ""}`,
        title: `${column.name}\nclick: sort · shift-click: sort by several columns`,
        attrs: { role: "columnheader", "data-column": column.name, "aria-sort": key ? (key.descending ? "descending" : "ascending") : "none" },
        style: { width: `${columnWidth(column)}px` },
      }, [h("span", { class: "lt-th-label", text: column.label }), h("span", { class: "lt-sort", text: arrow })]);
    }));
  }

  function createRow(): HTMLElement {
    const element = h("div", { class: "lt-tr", attrs: { role: "row" } });
    for (const column of columns) {
      element.appendChild(h("div", { attrs: { role: "gridcell" }, style: { width: `${columnWidth(column)}px` } }));
    }
    return element;
  }

  /** (Re)fill a row element for `position`: rows are recycled while scrolling, not rebuilt. */
  function fillRow(element: HTMLElement, position: number, now: number): void {
    const data = model.get("data") ?? {};
    const row = order[position]!;
    element.dataset["index"] = String(position);
    element.style.transform = `translateY(${position * ROW_HEIGHT}px)`;
    columns.forEach((column, i) => {
      const cell = element.children[i] as HTMLElement;
      cell.className = isNumericColumn(column) ? "lt-td lt-num" : "lt-td";
      cell.textContent = "";
      cell.removeAttribute("title");
      fillCell(cell, column, data[column.name]?.[row], now);
    });
  }

  function paintRow(element: HTMLElement, position: number, selected: Set<string>): void {
    const isSelected = selected.has(ids[position]!);
    element.classList.toggle("lt-selected", isSelected);
    element.classList.toggle("lt-cursor", position === cursor);
    element.setAttribute("aria-selected", String(isSelected));
  }

  /** Render the rows in view, reusing the ones already there; `rebuild` drops them all. */
  function renderRows(rebuild = false): void {
    if (rebuild) {
      for (const element of rendered.values()) element.remove();
      rendered.clear();
    }
    const win = visibleWindow(scroller.scrollTop, viewport(), ROW_HEIGHT, ids.length);
    body.style.height = `${win.total}px`;
    const width = columns.reduce((sum, c) => sum + columnWidth(c), 0);
    body.style.width = header.style.width = `${width}px`;
    const spare: HTMLElement[] = [];
    for (const [position, element] of rendered) {
      if (position < win.start || position >= win.end) {
        rendered.delete(position);
        spare.push(element);
      }
    }
    const selected = new Set(model.get("selected") ?? []);
    const now = Date.now();
    for (let position = win.start; position < win.end; position++) {
      let element = rendered.get(position);
      if (!element) {
        element = spare.pop() ?? body.appendChild(createRow());
        fillRow(element, position, now);
        rendered.set(position, element);
      }
      paintRow(element, position, selected);
    }
    for (const element of spare) element.remove();
  }

  function renderStatus(): void {
    const count = ids.length;
    const message = model.get("empty_message") ?? "";
    const isEmpty = count === 0;
    empty.hidden = !isEmpty;
    empty.textContent = isEmpty ? message || "No runs match this filter." : "";
    scroller.hidden = isEmpty;
    scroller.style.height = `${HEADER_HEIGHT + Math.min(Math.max(count, 1), MAX_VISIBLE_ROWS) * ROW_HEIGHT + 2}px`;
    const chosen = (model.get("selected") ?? []).length;
    countLine.textContent = `${formatCount(count)} ${count === 1 ? "run" : "runs"}` + (chosen ? ` · ${formatCount(chosen)} selected` : "");
  }

  function renderError(): void {
    const text = model.get("error") ?? "";
    error.textContent = text;
    error.hidden = !text;
    filter.classList.toggle("lt-invalid", !!text);
    filter.setAttribute("aria-invalid", String(!!text));
  }

  function renderAll(): void {
    recompute();
    renderHeader();
    renderStatus();
    renderRows(true);
    chooser.update(model.get("columns") ?? [], model.get("visible_columns") ?? []);
  }

  function moveCursor(position: number, extend: boolean): void {
    if (!ids.length) return;
    cursor = Math.min(ids.length - 1, Math.max(0, position));
    scroller.scrollTop = revealRow(cursor, scroller.scrollTop, viewport(), ROW_HEIGHT);
    apply(moveSelection(ids, selection(), cursor, extend));
  }

  // Filter: applied on Enter (a query per keystroke would hammer the store); Escape reverts.
  disposer.listen<KeyboardEvent>(filter, "keydown", (event) => {
    if (event.key === "Enter") commit(model, "filter", filter.value.trim());
    else if (event.key === "Escape") filter.value = model.get("filter") ?? "";
  });
  disposer.listen<MouseEvent>(header, "click", (event) => {
    const name = (event.target as Element).closest<HTMLElement>("[data-column]")?.dataset["column"];
    if (name) commit(model, "sort", nextSort(model.get("sort") ?? [], name, event.shiftKey));
  });
  // Shift-click would otherwise select the page's text across the range.
  disposer.listen<MouseEvent>(body, "mousedown", (event) => {
    if (event.shiftKey) event.preventDefault();
  });
  disposer.listen<MouseEvent>(body, "click", (event) => {
    const row = (event.target as Element).closest<HTMLElement>(".lt-tr");
    if (!row) return;
    cursor = Number(row.dataset["index"]);
    apply(clickSelection(ids, selection(), cursor, { toggle: event.ctrlKey || event.metaKey, range: event.shiftKey }));
    scroller.focus({ preventScroll: true });
  });
  disposer.listen<KeyboardEvent>(scroller, "keydown", (event) => {
    const page = Math.max(1, Math.floor(viewport() / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: cursor + 1, ArrowUp: cursor - 1, PageDown: cursor + page, PageUp: cursor - page, Home: 0, End: ids.length - 1 };
    if (event.key in moves) moveCursor(cursor < 0 ? 0 : moves[event.key]!, event.shiftKey);
    else if (event.key === " " && cursor >= 0) apply(toggleSelection(ids, selection(), cursor));
    else if (event.key === "Escape") apply({ selected: [], anchor: null });
    else return;
    event.preventDefault(); // keep the page (and the notebook) from scrolling or acting
    event.stopPropagation();
  });

  let frame = 0;
  disposer.listen(scroller, "scroll", () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      renderRows();
    });
  }, { passive: true });
  disposer.add(() => cancelAnimationFrame(frame));

  disposer.add(onChange(model, ["data", "sort", "columns", "visible_columns", "empty_message"], renderAll));
  disposer.add(onChange(model, ["selected"], () => {
    renderStatus();
    renderRows();
  }));
  disposer.add(onChange(model, ["error"], renderError));
  disposer.add(onChange(model, ["filter"], () => {
    if (document.activeElement !== filter) filter.value = model.get("filter") ?? "";
  }));

  filter.value = model.get("filter") ?? "";
  renderError();
  renderAll();
  return () => disposer.dispose();
}

export default { render };
