// lt.media()'s state (src/labtrack/widgets/contract.py MediaState), as the front end gets it.

import type { Bytes, Cell } from "../shared/types";

export type MediaKind = "image" | "table" | "histogram" | "text" | "audio";

export interface MediaRun {
  run_id: string;
  run_name: string;
  status: string;
  steps: number[];
}

export interface MediaTable {
  columns: string[];
  data: (Cell | Cell[] | Record<string, unknown>)[][];
  total_rows: number;
}

export interface Histogram {
  edges: number[];
  counts: number[];
  count: number;
  min: number;
  max: number;
  sum: number;
}

export interface MediaCell {
  run_id: string;
  /** The step shown: the run's latest at or before the chosen one; null when it has none. */
  step: number | null;
  /** An image's PNG or an audio clip's WAV bytes. */
  data: Bytes | null;
  text: string | null;
  table: MediaTable | null;
  histogram: Histogram | null;
  note: string;
  error: string;
}

export interface HistogramSeries {
  run_id: string;
  steps: number[];
  edges: number[][];
  counts: number[][];
}

export interface MediaState {
  key: string;
  kind: MediaKind | "";
  runs: MediaRun[];
  step: number;
  current: MediaCell[];
  histograms: HistogramSeries[];
  live: boolean;
  selected: string[];
  empty_message: string;
}

/** Every step some run has media at, ascending: the positions of the step slider. */
export function allSteps(runs: MediaRun[]): number[] {
  const steps = new Set<number>();
  for (const run of runs) for (const step of run.steps) steps.add(step);
  return [...steps].sort((a, b) => a - b);
}

/** The slider position for `step`: the last step at or before it (0 when none is). */
export function stepIndex(steps: number[], step: number): number {
  let index = 0;
  for (let i = 0; i < steps.length; i++) if (steps[i] <= step) index = i;
  return index;
}

/** Bytes as ipywidgets delivers them (a DataView), or a test's stand-in, as a Uint8Array. */
export function asBytes(value: Bytes): Uint8Array {
  if (Array.isArray(value)) return Uint8Array.from(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return new Uint8Array(value);
}
