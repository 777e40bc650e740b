// One colour per run in every widget (table, chart, scatter, compare, media, the report):
// a hash of the run id into the colorway, so no widget has to agree with another on an order.

import { h } from "./dom";
import { COLORWAY } from "./theme";

/** 32-bit FNV-1a over the string's UTF-16 code units: small, fast and well spread for hex ids. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The colour of a run (or of a group, by its name): the same id gives the same colour everywhere. */
export function runColor(runId: string, palette: readonly string[] = COLORWAY): string {
  if (!palette.length) throw new Error("runColor needs a non-empty palette");
  return palette[hashString(String(runId)) % palette.length];
}

/** A small square in the run's colour, as the table and the comparison show beside a run. */
export function runSwatch(runId: string): HTMLSpanElement {
  const color = runColor(runId);
  return h("span", {
    class: "lt-swatch",
    attrs: { "data-color": color, "aria-hidden": "true" },
    style: {
      display: "inline-block",
      width: "10px",
      height: "10px",
      "border-radius": "2px",
      "margin-right": "6px",
      "vertical-align": "-1px",
      "flex-shrink": "0",
      background: color,
    },
  });
}
