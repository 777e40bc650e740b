// The sidebar's state and everything it does with the server; views render it and call its
// methods. No DOM and no JupyterLab imports: unit-tested with a fake Api.

import { promotionProgress, versionKey } from "./logic";
import type { Api, Experiment, Promotion, RegisteredModel, RunSummary } from "./types";

export const POLL_MS = 3000;

export interface SidebarState {
  query: string;
  loading: boolean;
  error: string; // why the last refresh failed ("" when fine)
  models: RegisteredModel[];
  experiments: Experiment[];
  expandedModels: Set<string>;
  expandedExperiments: Set<string>;
  modelDetails: Map<string, RegisteredModel>; // with every version, for expanded models
  runs: Map<string, RunSummary[]>; // of expanded experiments, filtered by the query
  progress: Map<string, string>; // item key -> what is being done to it ("Moving to Production…")
  errors: Map<string, string>; // item key -> why its last action or load failed
}

export class SidebarModel {
  readonly state: SidebarState = {
    query: "",
    loading: false,
    error: "",
    models: [],
    experiments: [],
    expandedModels: new Set(),
    expandedExperiments: new Set(),
    modelDetails: new Map(),
    runs: new Map(),
    progress: new Map(),
    errors: new Map(),
  };
  private readonly listeners = new Set<() => void>();
  private lastStamp: string | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(readonly api: Api) {}

  /** Call `listener` after every change; returns the function that stops it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Reload everything shown (models, experiments, and what is expanded). One at a time:
   * a refresh asked for during another starts when that one ends, so it sees fresh data. */
  async refresh(): Promise<void> {
    while (this.refreshing) await this.refreshing;
    this.refreshing = this.load().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const s = this.state;
    s.loading = true;
    this.changed();
    try {
      const query = s.query;
      const [models, experiments] = await Promise.all([this.api.models(query), this.api.experiments()]);
      s.models = models;
      s.experiments = experiments;
      s.error = "";
      const known = new Set(models.map((m) => m.name));
      for (const name of [...s.expandedModels]) if (!known.has(name)) s.expandedModels.delete(name);
      await Promise.all([
        ...[...s.expandedModels].map((name) => this.loadModel(name)),
        ...[...s.expandedExperiments].map((id) => this.loadRuns(id)),
      ]);
    } catch (error) {
      s.error = message(error);
    } finally {
      s.loading = false;
      this.changed();
    }
  }

  private async loadModel(name: string): Promise<void> {
    try {
      this.showModel(await this.api.model(name));
      this.state.errors.delete(name);
    } catch (error) {
      this.state.errors.set(name, message(error));
    }
  }

  private async loadRuns(experimentId: string): Promise<void> {
    const key = `experiment:${experimentId}`;
    try {
      const runs = await this.api.runs(experimentId, this.state.query);
      this.state.runs.set(experimentId, runs);
      this.state.errors.delete(key);
    } catch (error) {
      this.state.errors.set(key, message(error));
    }
  }

  /** A model as an action or a load returned it (with every version): shown in place. */
  private showModel(model: RegisteredModel): void {
    this.state.modelDetails.set(model.name, model);
    const index = this.state.models.findIndex((m) => m.name === model.name);
    if (index >= 0) this.state.models[index] = model;
  }

  async setQuery(query: string): Promise<void> {
    if (query === this.state.query) return;
    this.state.query = query;
    await this.refresh();
  }

  async toggleModel(name: string): Promise<void> {
    await this.toggle(this.state.expandedModels, name, (key) => this.loadModel(key));
  }

  async toggleExperiment(experimentId: string): Promise<void> {
    await this.toggle(this.state.expandedExperiments, experimentId, (key) => this.loadRuns(key));
  }

  /** Collapse `key` if it is expanded; else expand it (shown at once) and load its rows. */
  private async toggle(expanded: Set<string>, key: string, load: (key: string) => Promise<void>): Promise<void> {
    if (expanded.delete(key)) {
      this.changed();
      return;
    }
    expanded.add(key);
    this.changed();
    await load(key);
    this.changed();
  }

  /** Move a version to a stage or point an alias at it; progress and errors show on the
   * version's row. Resolves to whether it worked. */
  promote(name: string, version: string, promotion: Promotion): Promise<boolean> {
    return this.act(name, version, promotionProgress(promotion), () =>
      promotion.kind === "stage"
        ? this.api.setStage(name, version, promotion.stage, promotion.archiveExisting)
        : this.api.setAlias(name, promotion.alias.trim(), version),
    );
  }

  archive(name: string, version: string): Promise<boolean> {
    return this.act(name, version, "Archiving…", () => this.api.archive(name, version));
  }

  removeAlias(name: string, version: string, alias: string): Promise<boolean> {
    return this.act(name, version, `Removing @${alias}…`, () => this.api.deleteAlias(name, alias));
  }

  private async act(
    name: string,
    version: string,
    progress: string,
    action: () => Promise<RegisteredModel>,
  ): Promise<boolean> {
    const key = versionKey(name, version);
    const { progress: busy, errors } = this.state;
    if (busy.has(key)) return false; // one action per version at a time
    busy.set(key, progress);
    errors.delete(key);
    this.changed();
    try {
      this.showModel(await action());
      return true;
    } catch (error) {
      errors.set(key, message(error));
      return false;
    } finally {
      busy.delete(key);
      this.changed();
    }
  }

  /** Refresh when the store's stamp changed since the last look (the first look counts). */
  async poll(): Promise<void> {
    let stamp: string;
    try {
      stamp = await this.api.stamp();
    } catch {
      return; // the server is away (restarting, offline): try again at the next tick
    }
    if (stamp !== this.lastStamp) {
      this.lastStamp = stamp;
      await this.refresh();
    }
  }

  /** Poll every `interval` ms while the panel is visible. */
  startPolling(interval = POLL_MS): void {
    if (this.timer !== null) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), interval);
  }

  stopPolling(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  dispose(): void {
    this.stopPolling();
    this.listeners.clear();
  }
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// -- alerts ---------------------------------------------------------------------------------

export type AlertLevel = "INFO" | "WARN" | "ERROR";

/** An alert as the server's `alerts` route sends it (`labtrack.sidebar.alerts`). */
export interface Alert {
  id: number;
  run_id: string;
  experiment_id: string | null;
  title: string;
  text: string;
  level: AlertLevel;
  timestamp: number;
  metric_key: string | null;
  metric_value: number | null;
  step: number | null;
}

/** A page of alerts newer than a cursor, and the cursor to ask with next. */
export interface AlertPage {
  alerts: Alert[];
  cursor: number;
}

/** What the watcher asks the server: the store's stamp (as the panel does) and the alerts
 * after a cursor (null: none, only the newest id, where a page opened now starts). */
export interface AlertsApi {
  stamp(): Promise<string>;
  alerts(after: number | null): Promise<AlertPage>;
}

// A burst bigger than this many pages waits for the next ticks.
const MAX_PAGES_PER_POLL = 10;

/** Shows each new alert of the store once (`show`), oldest first. It polls while the page is
 * open, whether or not the panel is visible: the cheap stamp every tick, the alerts route only
 * when the stamp moved. Alerts logged before the page opened are not shown. */
export class AlertWatcher {
  private cursor: number | null = null;
  private lastStamp: string | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private polling: Promise<void> | null = null;

  constructor(
    readonly api: AlertsApi,
    readonly show: (alert: Alert) => void,
  ) {}

  /** One look; a look asked for during another is that one. */
  poll(): Promise<void> {
    this.polling ??= this.look().finally(() => (this.polling = null));
    return this.polling;
  }

  private async look(): Promise<void> {
    let stamp: string;
    try {
      stamp = await this.api.stamp();
      if (stamp === this.lastStamp && this.cursor !== null) return;
      for (let pages = 0; pages < MAX_PAGES_PER_POLL; pages++) {
        const page = await this.api.alerts(this.cursor);
        const first = this.cursor === null;
        for (const alert of page.alerts) {
          if (!first && alert.id > (this.cursor ?? 0)) this.show(alert);
        }
        const moved = page.cursor !== this.cursor;
        this.cursor = Math.max(page.cursor, this.cursor ?? 0);
        if (first || !moved || page.alerts.length === 0) break;
      }
    } catch {
      return; // the server is away (restarting, offline): try again at the next tick
    }
    this.lastStamp = stamp;
  }

  /** Look every `interval` ms until `stop()`. */
  start(interval = POLL_MS): void {
    if (this.timer !== null) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), interval);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

/** The JupyterLab notification type of an alert's level. */
export function notificationType(level: AlertLevel): "info" | "warning" | "error" {
  return level === "ERROR" ? "error" : level === "WARN" ? "warning" : "info";
}

// JupyterLab cuts a notification's message at 140 characters.
const MESSAGE_LIMIT = 140;

/** The notification's one line: the alert's title, then its text. */
export function alertMessage(alert: Alert): string {
  const text = alert.text.trim().replace(/\s+/g, " ");
  const line = text ? `${alert.title}: ${text}` : alert.title;
  return line.length <= MESSAGE_LIMIT ? line : `${line.slice(0, MESSAGE_LIMIT - 1)}…`;
}
