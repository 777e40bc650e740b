// The report's payload, as src/labtrack/html_report/_gather.py writes it into the page.

import type { Column, CompareState, ScatterState } from "../shared/types";
import type { ParallelState } from "../widgets/parallel_figure";

/** Evenly spaced x (steps usually are), or base64 little-endian float64. */
export type EncodedX = { start: number; step: number; count: number } | { f64: string };

export interface EncodedSeries {
  run_id: string;
  run_name: string;
  metric: string;
  x: EncodedX;
  /** base64 little-endian float32 */
  y: string;
  x_exact: string[] | null;
  points: number;
  total_points: number;
}

export interface Note {
  run_id: string;
  run_name: string;
  note: string;
}

export interface ReportImage {
  run_id: string;
  run_name: string;
  key: string;
  step: number;
  src: string;
  width: number;
  height: number;
}

export interface ReportData {
  version: number;
  title: string;
  experiments: string[];
  filter: string;
  generated: number;
  metrics: string[];
  metric: string;
  lower_is_better: boolean;
  table: { columns: Column[]; data: Record<string, (string | number | boolean | null)[]> };
  series: EncodedSeries[];
  scatter: ScatterState | null;
  parallel: ParallelState | null;
  compare: CompareState | null;
  notes: Note[];
  images: ReportImage[];
}
