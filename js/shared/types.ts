// The widget states of src/labtrack/widgets/contract.py, as the front end receives them.

/** A float64 buffer as ipywidgets hands it over (DataView), or a stand-in in tests. */
export type Bytes = DataView | ArrayBufferLike | ArrayBufferView | number[];

export type Dtype = "number" | "string" | "time" | "duration" | "status";
export type Group = "info" | "metrics" | "system" | "params" | "tags";
export type Cell = string | number | boolean | null;

export interface Column {
  name: string;
  label: string;
  group: Group;
  dtype: Dtype;
}

export interface SortKey {
  column: string;
  descending: boolean;
}

/** A numeric column over a group's runs. */
export interface Aggregate {
  mean: number;
  min: number;
  max: number;
}

/** A group of the run table's rows (lt.runs(group_by=...)), grouped by the kernel. */
export interface TableGroup {
  name: string;
  count: number;
  aggregates: Record<string, Aggregate>;
}

/** The display rows the table asks the kernel for: `start` to `end` (exclusive). */
export interface TableWindow {
  start: number;
  end: number;
}

/** Display rows from `start` on, as the kernel sends them; entry i of each list is row start + i. */
export interface TablePage {
  start: number;
  run_id: string[]; // "" on a group's header
  group: number[]; // index into groups on a group's header, -1 on a run
  data: Record<string, Cell[]>; // visible columns only
}

export interface RunsTableState {
  columns: Column[];
  visible_columns: string[];
  sort: SortKey[];
  filter: string;
  error: string;
  selected: string[];
  empty_message: string;
  group_by: string;
  groups: TableGroup[];
  collapsed: string[];
  run_count: number;
  row_count: number;
  window: TableWindow;
  page: TablePage;
}

export interface Series {
  run_id: string;
  run_name: string;
  metric: string;
  x: Bytes;
  /** x's integers as decimal strings when some is beyond Number.MAX_SAFE_INTEGER (x rounds them). */
  x_exact?: string[] | null;
  y: Bytes;
  points: number;
  total_points: number;
}

export type XAxis = "step" | "relative" | "wall";

/** One group's line (lt.chart(group_by=...)): the mean over its runs and their min-max band. */
export interface GroupSeries {
  group: string;
  metric: string;
  runs: number;
  x: Bytes;
  mean: Bytes;
  low: Bytes;
  high: Bytes;
  points: number;
}

export interface MetricChartState {
  metrics: string[];
  selected: string[];
  x_axis: XAxis;
  smoothing: number;
  log_y: boolean;
  series: Series[];
  group_by: string;
  groups: GroupSeries[];
  live: boolean;
  empty_message: string;
}

export interface ScatterPoints {
  run_id: string[];
  run_name: string[];
  x: Cell[];
  y: Cell[];
  color: Cell[];
}

export interface ScatterState {
  x: string;
  y: string;
  color: string;
  log_x: boolean;
  log_y: boolean;
  points: ScatterPoints;
  x_kind: "number" | "category";
  y_kind: "number" | "category";
  selected: string[];
  empty_message: string;
}

export interface CompareRun {
  run_id: string;
  run_name: string;
  status: string;
  note: string; // Markdown (the tag mlflow.note.content); "" for none
}

export interface CompareParam {
  key: string;
  values: (string | null)[];
  differs: boolean;
}

export interface CompareMetric {
  key: string;
  values: (number | null)[];
  best: number | null;
}

export interface CompareState {
  runs: CompareRun[];
  params: CompareParam[];
  metrics: CompareMetric[];
  series: Series[];
  metric: string;
  selected: string[];
  empty_message?: string; // sent by every RunsWidget, though not in CompareState
}

/** What Plotly.react draws; built by pure functions so tests can check it without a canvas. */
export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}
