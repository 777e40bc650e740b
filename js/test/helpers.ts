// Test doubles: an AFM model that records what the widget sends, and fixture states with
// their {"__bytes_b64__": ...} placeholders turned into DataViews as ipywidgets delivers them.

import type { Model } from "../shared/model";
import type { Theme } from "../shared/theme";
import type { CompareState, MetricChartState, RunsTableState, ScatterState } from "../shared/types";
import compare from "../widgets/fixtures/compare.json";
import metricChart from "../widgets/fixtures/metric_chart.json";
import runsTable from "../widgets/fixtures/runs_table.json";
import scatter from "../widgets/fixtures/scatter.json";

export class FakeModel<S extends object> implements Model<S> {
  private readonly state: S;
  private readonly handlers = new Map<string, Set<() => void>>();
  saves = 0;
  readonly sets: [string, unknown][] = [];

  constructor(state: S) {
    this.state = { ...state };
  }

  get<K extends keyof S & string>(key: K): S[K] {
    return this.state[key];
  }

  set<K extends keyof S & string>(key: K, value: S[K]): void {
    this.sets.push([key, value]);
    const changed = this.state[key] !== value;
    this.state[key] = value;
    if (changed) for (const handler of [...(this.handlers.get(`change:${key}`) ?? [])]) handler();
  }

  on(event: string, callback: () => void): void {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(callback);
  }

  off(event?: string | null, callback?: (() => void) | null): void {
    if (!event) this.handlers.clear();
    else if (!callback) this.handlers.delete(event);
    else this.handlers.get(event)?.delete(callback);
  }

  save_changes(): void {
    this.saves++;
  }

  /** Listeners still attached: a widget's cleanup must bring this back to 0. */
  listenerCount(): number {
    let count = 0;
    for (const set of this.handlers.values()) count += set.size;
    return count;
  }
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Replace {"__bytes_b64__": "..."} (how JSON fixtures carry bytes) by a DataView, recursively. */
export function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (typeof record.__bytes_b64__ === "string") {
      const bytes = decodeBase64(record.__bytes_b64__);
      return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, revive(v)]));
  }
  return value;
}

// structuredClone-by-JSON: every test gets a fresh, independent copy.
const load = <S>(fixture: unknown): S => revive(JSON.parse(JSON.stringify(fixture))) as S;
export const fixtures = {
  runsTable: () => load<RunsTableState>(runsTable),
  metricChart: () => load<MetricChartState>(metricChart),
  scatter: () => load<ScatterState>(scatter),
  compare: () => load<CompareState>(compare),
};

export const LIGHT: Theme = {
  dark: false,
  font: "sans-serif",
  fontSize: 12,
  text: "#111",
  muted: "#666",
  background: "#fff",
  grid: "#eee",
  border: "#ccc",
  accent: "#1976d2",
};

export const DARK: Theme = {
  dark: true,
  font: "sans-serif",
  fontSize: 12,
  text: "#eee",
  muted: "#aaa",
  background: "#111",
  grid: "#424242",
  border: "#616161",
  accent: "#42a5f5",
};

export const XSS = "<img src=x onerror=alert(1)>";
