// The sidebar's "Deployments" section (`labtrack serve --deployment NAME`): each deployment's
// health, the model version it serves and its traffic; a click opens its run's details, and a
// deployment served by `labtrack serve` on this machine can be stopped from here. Fetched from
// the `deployments` route whenever the panel's model changed (the store's stamp moves with
// every heartbeat), and hidden while the store has no deployment.

import { ServerConnection } from "@jupyterlab/services";

import { h, replaceChildren } from "../shared/dom";
import { formatCount, formatRelativeTime } from "../shared/format";
import { coalesce } from "../shared/schedule";

/** One entry of `GET labtrack/api/deployments`: labtrack.production.Deployment's fields. */
export interface Deployment {
  name: string;
  status: "RUNNING" | "STOPPED" | "FAILED";
  model_uri: string;
  model_name: string | null;
  model_version: string | null;
  url: string | null;
  host: string | null;
  pid: number | null;
  start_time: number;
  last_seen: number;
  requests: number;
  run_id: string;
  local: boolean;
}

/** The route's two calls. */
export interface DeploymentsApi {
  list(): Promise<Deployment[]>;
  /** Stop a local deployment; resolves to it as recorded then, rejects with the server's reason. */
  stop(name: string): Promise<Deployment>;
}

export type Health = "live" | "stopped" | "failed";

/** What the coloured dot says: the store's liveness check has already turned a dead server
 * into STOPPED, so RUNNING is live. */
export function health(d: Deployment): Health {
  return d.status === "RUNNING" ? "live" : d.status === "FAILED" ? "failed" : "stopped";
}

/** "iris v3", or the model URI when it is no registered version (a runs:/ model). */
export function modelLabel(d: Deployment): string {
  if (d.model_name && d.model_version) return `${d.model_name} v${d.model_version}`;
  return d.model_name || d.model_uri || "(unknown model)";
}

/** The line under a deployment's name: health, traffic, when it was last seen, where. */
export function describe(d: Deployment, now: number = Date.now()): string {
  const requests = `${formatCount(d.requests)} request${d.requests === 1 ? "" : "s"}`;
  const seen =
    d.status === "RUNNING"
      ? `seen ${formatRelativeTime(d.last_seen, now)}`
      : `stopped ${formatRelativeTime(d.last_seen, now)}`;
  const where = d.local ? "this machine" : (d.host ?? "unknown host");
  return [health(d), requests, seen, where].join(" · ");
}

/** Whether the panel offers "Stop": a live deployment on this machine (the route checks again). */
export function stoppable(d: Deployment): boolean {
  return d.local && d.status === "RUNNING";
}

export class DeploymentsSection {
  readonly node: HTMLElement;
  private readonly list: HTMLElement;
  private readonly count: HTMLElement;
  private readonly refreshSoon = coalesce(() => void this.refresh());
  // Why the last stop of a deployment failed, shown under it until the next one (by name).
  private readonly errors = new Map<string, string>();
  private shown: Deployment[] = [];

  constructor(
    private readonly api: DeploymentsApi,
    private readonly openRun: (runId: string) => void,
    // JupyterLab's dialog (dialogs.ts) in the extension; the tests answer it themselves.
    private readonly confirmStop: (d: Deployment) => Promise<boolean>,
  ) {
    this.count = h("span", { class: "lt-sb-count", text: "0" });
    this.list = h("ul", { class: "lt-sb-tree", attrs: { role: "tree", "aria-label": "Deployments" } });
    this.node = h(
      "section",
      { class: "lt-sb-section lt-sb-deployments", attrs: { "aria-label": "Deployments", hidden: true } },
      [h("h3", { class: "lt-sb-heading" }, ["Deployments", this.count]), this.list],
    );
  }

  /** Fetch again at the next frame (several model changes fetch once). */
  schedule(): void {
    this.refreshSoon.schedule();
  }

  async refresh(): Promise<void> {
    try {
      this.render(await this.api.list());
    } catch {
      // The server is away: keep what is shown until the next change.
    }
  }

  /** Stop `d` after the user confirmed; its row says why when the server refuses. */
  async stop(d: Deployment): Promise<void> {
    if (!(await this.confirmStop(d))) return;
    this.errors.delete(d.name);
    try {
      const stopped = await this.api.stop(d.name);
      this.render(this.shown.map((s) => (s.name === stopped.name ? stopped : s)));
    } catch (error) {
      this.errors.set(d.name, `Could not stop ${d.name}: ${error instanceof Error ? error.message : String(error)}`);
      this.render(this.shown);
    }
    this.schedule();
  }

  render(deployments: Deployment[], now: number = Date.now()): void {
    this.shown = deployments;
    this.node.hidden = deployments.length === 0;
    const live = deployments.filter((d) => d.status === "RUNNING").length;
    this.count.textContent = live === deployments.length ? String(live) : `${live}/${deployments.length}`;
    this.count.title = `${live} live of ${deployments.length}`;
    replaceChildren(
      this.list,
      deployments.map((d) => this.item(d, now)),
    );
  }

  private item(d: Deployment, now: number): HTMLElement {
    const state = health(d);
    const row = h(
      "div",
      {
        class: "lt-sb-row",
        attrs: {
          role: "treeitem",
          tabindex: 0,
          "data-key": `deployment:${d.name}`,
          "data-health": state,
          "aria-label": `${d.name}, ${state}`,
        },
      },
      [
        h("span", {
          class: `lt-sb-health lt-sb-health-${state}`,
          title: state,
          attrs: { "aria-hidden": "true" },
        }),
        h("span", { class: "lt-sb-name", text: d.name, title: `${d.model_uri} · run ${d.run_id}` }),
        h("span", { class: "lt-sb-badges" }, [
          h("span", { class: "lt-sb-badge lt-sb-badge-model", text: modelLabel(d), title: d.model_uri }),
        ]),
        h("div", { class: "lt-sb-meta" }, [h("span", { class: "lt-sb-muted", text: describe(d, now) })]),
      ],
    );
    row.addEventListener("click", (event) => {
      if ((event.target as HTMLElement).closest("button, a")) return; // its own controls act alone
      this.openRun(d.run_id);
    });
    row.addEventListener("keydown", (event) => {
      if (event.target !== row) return;
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        this.openRun(d.run_id);
      }
    });
    const actions: HTMLElement[] = [];
    if (d.url && d.status === "RUNNING" && isWebUrl(d.url)) {
      actions.push(
        h("a", {
          class: "lt-sb-link lt-sb-url",
          text: d.url,
          attrs: { href: d.url, target: "_blank", rel: "noopener noreferrer" },
        }),
      );
    }
    if (stoppable(d)) {
      const stop = h("button", {
        class: "lt-sb-button lt-sb-stop",
        text: "Stop",
        attrs: { type: "button", "aria-label": `stop deployment ${d.name}` },
      });
      stop.addEventListener("click", () => {
        stop.disabled = true;
        void this.stop(d).finally(() => {
          stop.disabled = false;
        });
      });
      actions.push(stop);
    }
    const error = this.errors.get(d.name);
    return h("li", { class: "lt-sb-item lt-sb-deployment", attrs: { role: "none" } }, [
      row,
      actions.length ? h("div", { class: "lt-sb-actions" }, actions) : null,
      error ? h("div", { class: "lt-sb-error", text: error, attrs: { role: "alert" } }) : null,
    ]);
  }

  dispose(): void {
    this.refreshSoon.cancel();
  }
}

/** The `deployments` routes over ServerConnection (it adds the token or XSRF header). */
export function deploymentsApi(settings: ServerConnection.ISettings): DeploymentsApi {
  const base = `${settings.baseUrl.replace(/\/?$/, "/")}labtrack/api/deployments`;
  const call = async <T>(url: string, init: RequestInit): Promise<T> => {
    const response = await ServerConnection.makeRequest(url, init, settings);
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { message?: string };
      throw new Error(body.message || `${response.status} ${response.statusText}`);
    }
    return (await response.json()) as T;
  };
  return {
    list: async () => (await call<{ deployments: Deployment[] }>(base, {})).deployments,
    stop: async (name) =>
      (await call<{ deployment: Deployment }>(`${base}/${encodeURIComponent(name)}/stop`, { method: "POST" }))
        .deployment,
  };
}

/** Whether a URL read from the store may be a link: http(s) only (a tag may say anything,
 * `javascript:` included). */
export function isWebUrl(url: string): boolean {
  try {
    const protocol = new URL(url).protocol;
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}
