// The JSON the server extension sends (src/labtrack/sidebar/payloads.py writes these shapes;
// tests/sidebar/test_contract.py pins them to fixtures/api.json, which the unit tests read).
// Times are ms since the epoch; versions are strings, as in MLflow's REST API.

export type Metrics = Record<string, number | null>;

export interface Experiment {
  experiment_id: string;
  name: string;
  lifecycle_stage: string;
  creation_time: number | null;
  last_update_time: number | null;
}

export interface RunSummary {
  run_id: string;
  run_name: string;
  experiment_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  user_id: string;
  metrics: Metrics;
}

export interface Artifact {
  path: string;
  is_dir: boolean;
  file_size: number | null;
}

export interface RunDetail extends RunSummary {
  lifecycle_stage: string;
  artifact_uri: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  artifacts: Artifact[];
}

export type Stage = "None" | "Staging" | "Production" | "Archived";

export interface ModelVersion {
  name: string;
  version: string;
  current_stage: Stage;
  aliases: string[];
  run_id: string | null;
  run_name: string | null; // of the source run, when it is still in the store
  source: string;
  status: string;
  description: string;
  user_id: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  tags: Record<string, string>;
  metrics: Metrics; // the source run's latest metrics
}

export interface RegisteredModel {
  name: string;
  description: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  aliases: Record<string, string>; // alias -> version
  tags: Record<string, string>;
  latest_versions: ModelVersion[]; // newest version of each stage
  versions?: ModelVersion[]; // every version, newest first (GET models/<name> and actions)
}

export interface HistoryEvent {
  action: string;
  name: string;
  version: string | null;
  key: string | null; // the alias or tag the change is about
  from: string | null;
  to: string | null;
  user: string;
  timestamp: number;
  comment: string | null;
}

/** What "promote" does to a version: move it to a stage, or point an alias at it. */
export type Promotion =
  | { kind: "stage"; stage: "Staging" | "Production"; archiveExisting: boolean }
  | { kind: "alias"; alias: string };

/** The server's routes, as the sidebar's model calls them (a fake in unit tests). */
export interface Api {
  stamp(): Promise<string>;
  experiments(): Promise<Experiment[]>;
  runs(experimentId: string, query: string): Promise<RunSummary[]>;
  run(runId: string): Promise<RunDetail>;
  artifacts(runId: string, path: string): Promise<Artifact[]>;
  models(query: string): Promise<RegisteredModel[]>;
  model(name: string): Promise<RegisteredModel>;
  version(name: string, version: string): Promise<ModelVersion>;
  history(name: string, version?: string): Promise<HistoryEvent[]>;
  setStage(
    name: string,
    version: string,
    stage: Stage,
    archiveExisting: boolean,
    comment?: string,
  ): Promise<RegisteredModel>;
  archive(name: string, version: string): Promise<RegisteredModel>;
  setAlias(name: string, alias: string, version: string): Promise<RegisteredModel>;
  deleteAlias(name: string, alias: string): Promise<RegisteredModel>;
  /** Set a run's note (its description, Markdown; "" clears it); the run as it now is. */
  setNote(runId: string, note: string): Promise<RunDetail>;
}
