// The column chooser: a popover listing every column by group, with checkboxes.

import { h } from "../../shared/dom";
import type { Disposer } from "../../shared/model";
import type { Column, Group } from "../../shared/types";

const GROUPS: Group[] = ["info", "metrics", "system", "params", "tags"];

/** `visible` with `name` shown (appended at the end) or hidden. */
export function toggleColumn(visible: string[], name: string, show: boolean): string[] {
  if (show) return visible.includes(name) ? visible : [...visible, name];
  return visible.filter((n) => n !== name);
}

export interface Chooser {
  button: HTMLButtonElement;
  panel: HTMLDivElement;
  update(columns: Column[], visible: string[]): void;
}

export function columnChooser(disposer: Disposer, onToggle: (name: string, show: boolean) => void): Chooser {
  const button = h("button", {
    class: "lt-button",
    text: "Columns ▾",
    attrs: { type: "button", "aria-haspopup": "true", "aria-expanded": "false" },
  });
  const search = h("input", {
    class: "lt-chooser-search",
    attrs: { type: "search", placeholder: "find a column", "aria-label": "find a column" },
  });
  const list = h("div", { class: "lt-chooser-list" });
  const panel = h("div", { class: "lt-chooser", attrs: { role: "dialog", "aria-label": "columns" } }, [search, list]);
  panel.hidden = true;

  const setOpen = (open: boolean) => {
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) search.focus();
  };
  disposer.listen(button, "click", () => setOpen(panel.hidden));
  // Close on a click elsewhere or Escape; listeners live on the document, so remove them.
  disposer.listen<MouseEvent>(document, "mousedown", (event) => {
    if (!panel.hidden && !panel.contains(event.target as Node) && !button.contains(event.target as Node))
      setOpen(false);
  });
  disposer.listen<KeyboardEvent>(panel, "keydown", (event) => {
    if (event.key === "Escape") {
      setOpen(false);
      button.focus();
    }
  });
  disposer.listen(search, "input", () => {
    const needle = search.value.trim().toLowerCase();
    for (const item of Array.from(list.querySelectorAll<HTMLElement>("[data-column]"))) {
      item.hidden = needle !== "" && !(item.dataset.column ?? "").toLowerCase().includes(needle);
    }
  });
  disposer.listen<Event>(list, "change", (event) => {
    const input = event.target as HTMLInputElement;
    const name = input.closest<HTMLElement>("[data-column]")?.dataset.column;
    if (name) onToggle(name, input.checked);
  });

  const update = (columns: Column[], visible: string[]) => {
    const shown = new Set(visible);
    while (list.firstChild) list.removeChild(list.firstChild);
    for (const group of GROUPS) {
      const members = columns.filter((c) => c.group === group);
      if (!members.length) continue;
      list.appendChild(h("div", { class: "lt-chooser-group", text: group }));
      for (const column of members) {
        const box = h("input", { attrs: { type: "checkbox" } });
        box.checked = shown.has(column.name);
        list.appendChild(
          h("label", { class: "lt-chooser-item", title: column.name, attrs: { "data-column": column.name } }, [
            box,
            column.label,
          ]),
        );
      }
    }
  };
  return { button, panel, update };
}
