// One colour per run in every widget (table, chart, scatter, compare, media, the report):
// a hash of the run id into the colorway, so no widget has to agree with another on an order.

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
