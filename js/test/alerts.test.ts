// The alert watcher (each new alert shown once, oldest first; only when the stamp moved) and
// how an alert reads as a JupyterLab notification.

import { describe, expect, it } from "vitest";

import {
  type Alert,
  type AlertPage,
  type AlertsApi,
  AlertWatcher,
  alertMessage,
  notificationType,
} from "../labextension/model";

function alert(id: number, overrides: Partial<Alert> = {}): Alert {
  return {
    id,
    run_id: "r1",
    experiment_id: "1",
    title: `alert ${id}`,
    text: "",
    level: "INFO",
    timestamp: 1000 + id,
    metric_key: null,
    metric_value: null,
    step: null,
    ...overrides,
  };
}

/** A server in memory: its alerts, a stamp that moves with every new one, pages of `page`. */
class FakeAlerts implements AlertsApi {
  stored: Alert[] = [];
  calls: string[] = [];
  away = false;
  constructor(private readonly page = 50) {}
  add(...alerts: Alert[]) {
    this.stored.push(...alerts);
  }
  async stamp() {
    this.calls.push("stamp");
    if (this.away) throw new Error("away");
    return `s${this.stored.length}`;
  }
  async alerts(after: number | null): Promise<AlertPage> {
    this.calls.push(`alerts ${after}`);
    if (this.away) throw new Error("away");
    const last = this.stored.at(-1)?.id ?? 0;
    if (after === null) return { alerts: [], cursor: last };
    const found = this.stored.filter((a) => a.id > after).slice(0, this.page);
    return { alerts: found, cursor: found.at(-1)?.id ?? after };
  }
}

describe("AlertWatcher", () => {
  it("shows each alert logged after it started once, in order", async () => {
    const server = new FakeAlerts();
    server.add(alert(1));
    const shown: number[] = [];
    const watcher = new AlertWatcher(server, (a) => shown.push(a.id));
    await watcher.poll();
    expect(shown).toEqual([]); // logged before the page opened
    server.add(alert(2), alert(3));
    await watcher.poll();
    await watcher.poll();
    expect(shown).toEqual([2, 3]);
    server.add(alert(4));
    await watcher.poll();
    expect(shown).toEqual([2, 3, 4]);
  });

  it("asks for alerts only when the stamp moved", async () => {
    const server = new FakeAlerts();
    const watcher = new AlertWatcher(server, () => undefined);
    await watcher.poll();
    server.calls = [];
    await watcher.poll();
    await watcher.poll();
    expect(server.calls).toEqual(["stamp", "stamp"]);
    server.add(alert(1));
    await watcher.poll();
    expect(server.calls).toEqual(["stamp", "stamp", "stamp", "alerts 0", "alerts 1"]);
  });

  it("reads a burst page after page, and one look at a time", async () => {
    const server = new FakeAlerts(2);
    const shown: number[] = [];
    const watcher = new AlertWatcher(server, (a) => shown.push(a.id));
    await watcher.poll();
    server.add(alert(1), alert(2), alert(3), alert(4), alert(5));
    await Promise.all([watcher.poll(), watcher.poll()]);
    expect(shown).toEqual([1, 2, 3, 4, 5]);
  });

  it("tries again at the next tick when the server is away, missing nothing", async () => {
    const server = new FakeAlerts();
    const shown: number[] = [];
    const watcher = new AlertWatcher(server, (a) => shown.push(a.id));
    await watcher.poll();
    server.away = true;
    server.add(alert(1));
    await watcher.poll();
    server.away = false;
    await watcher.poll();
    expect(shown).toEqual([1]);
  });
});

describe("notifications", () => {
  it("take the alert's level as their type", () => {
    expect(["INFO", "WARN", "ERROR"].map((l) => notificationType(l as Alert["level"]))).toEqual([
      "info",
      "warning",
      "error",
    ]);
  });

  it("read title, then text on one line, cut at JupyterLab's 140 characters", () => {
    expect(alertMessage(alert(1, { title: "val_loss diverged" }))).toBe("val_loss diverged");
    expect(alertMessage(alert(1, { title: "t", text: " a\n b " }))).toBe("t: a b");
    const long = alertMessage(alert(1, { title: "t", text: "x".repeat(500) }));
    expect(long).toHaveLength(140);
    expect(long.endsWith("…")).toBe(true);
  });
});
