// What a table cell shows for each column dtype; text only (no markup from values).

import { h } from "../../shared/dom";
import { formatAbsoluteTime, formatDuration, formatNumber, formatParam, formatRelativeTime } from "../../shared/format";
import type { Cell, Column, Dtype } from "../../shared/types";

const STATUSES = new Set(["RUNNING", "FINISHED", "FAILED", "KILLED", "SCHEDULED"]);

export function statusBadge(status: Cell): HTMLSpanElement {
  const text = status === null ? "" : String(status);
  const known = STATUSES.has(text.toUpperCase()) ? text.toLowerCase() : "other";
  return h("span", { class: `lt-badge lt-status-${known}`, text: text.toLowerCase() });
}

/** Column width in px by dtype; the name column gets the most. */
export function columnWidth(column: Column): number {
  if (column.name === "run_name") return 220;
  const widths: Record<Dtype, number> = { status: 96, time: 112, duration: 88, number: 104, string: 140 };
  return widths[column.dtype] ?? 120;
}

export function isNumericColumn(column: Column): boolean {
  return column.dtype === "number" || column.dtype === "duration";
}

/** Fill `cell` with the value; sets a title where the text is abbreviated. */
export function fillCell(cell: HTMLElement, column: Column, value: Cell | undefined, now: number): void {
  const v = value ?? null;
  if (v === null) {
    cell.classList.add("lt-missing");
    return;
  }
  switch (column.dtype) {
    case "status":
      cell.appendChild(statusBadge(v));
      return;
    case "time":
      cell.textContent = typeof v === "number" ? formatRelativeTime(v, now) : String(v);
      cell.title = typeof v === "number" ? formatAbsoluteTime(v) : "";
      return;
    case "duration":
      cell.textContent = typeof v === "number" ? formatDuration(v) : String(v);
      return;
    case "number":
      cell.textContent = typeof v === "number" ? formatNumber(v) : String(v);
      if (typeof v === "number") cell.title = String(v);
      return;
    default:
      // A param's float32 printout shows short; the title keeps the value as stored.
      cell.textContent = column.group === "params" ? formatParam(String(v)) : String(v);
      cell.title = String(v);
  }
}
