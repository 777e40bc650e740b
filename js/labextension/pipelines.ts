// The sidebar's "Running pipelines" section (`labtrack pipeline run`): each running pipeline
// with its steps done out of its step count and the steps running now; a click opens its
// parent run's details. Fetched from the `pipelines` route whenever the panel's model changed
// (the store's stamp moved), and hidden while no pipeline runs.

import { ServerConnection } from "@jupyterlab/services";

import { h, replaceChildren } from "../shared/dom";
import { coalesce } from "../shared/schedule";

/** One entry of `GET labtrack/api/pipelines` (labtrack.sidebar.pipelines). */
export interface RunningPipeline {
  run_id: string;
  run_name: string;
  experiment_id: string;
  pipeline: string;
  start_time: number;
  steps: number | null;
  done: number;
  running: string[];
  failed: number;
}

/** The progress line under a pipeline's name. */
export function progress(p: RunningPipeline): string {
  const parts = [`${p.done}${p.steps === null ? "" : `/${p.steps}`} steps done`];
  if (p.running.length) parts.push(`running ${p.running.join(", ")}`);
  if (p.failed) parts.push(`${p.failed} failed`);
  return parts.join(" · ");
}

export class PipelinesSection {
  readonly node: HTMLElement;
  private readonly list: HTMLElement;
  private readonly count: HTMLElement;
  private readonly refreshSoon = coalesce(() => void this.refresh());

  constructor(
    private readonly fetchRunning: () => Promise<RunningPipeline[]>,
    private readonly openRun: (runId: string) => void,
  ) {
    this.count = h("span", { class: "lt-sb-count", text: "0" });
    this.list = h("ul", { class: "lt-sb-tree", attrs: { role: "tree", "aria-label": "Running pipelines" } });
    this.node = h(
      "section",
      { class: "lt-sb-section lt-sb-pipelines", attrs: { "aria-label": "Running pipelines", hidden: true } },
      [h("h3", { class: "lt-sb-heading" }, ["Running pipelines", this.count]), this.list],
    );
  }

  /** Fetch again at the next frame (several model changes fetch once). */
  schedule(): void {
    this.refreshSoon.schedule();
  }

  async refresh(): Promise<void> {
    try {
      this.render(await this.fetchRunning());
    } catch {
      // The server is away: keep what is shown until the next change.
    }
  }

  render(pipelines: RunningPipeline[]): void {
    this.node.hidden = pipelines.length === 0;
    this.count.textContent = String(pipelines.length);
    replaceChildren(
      this.list,
      pipelines.map((p) => {
        const row = h(
          "div",
          {
            class: "lt-sb-row",
            attrs: { role: "treeitem", tabindex: 0, "data-key": `pipeline:${p.run_id}`, "aria-label": p.run_name },
          },
          [
            h("span", { class: "lt-sb-name", text: p.run_name, title: `pipeline ${p.pipeline} · run ${p.run_id}` }),
            h("div", { class: "lt-sb-meta" }, [h("span", { class: "lt-sb-muted", text: progress(p) })]),
          ],
        );
        row.addEventListener("click", () => this.openRun(p.run_id));
        row.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            this.openRun(p.run_id);
          }
        });
        return h("li", { class: "lt-sb-item lt-sb-pipeline", attrs: { role: "none" } }, [row]);
      }),
    );
  }

  dispose(): void {
    this.refreshSoon.cancel();
  }
}

/** The `pipelines` route over ServerConnection (it adds the token or XSRF header). */
export function pipelinesApi(settings: ServerConnection.ISettings): () => Promise<RunningPipeline[]> {
  return async () => {
    const url = `${settings.baseUrl.replace(/\/?$/, "/")}labtrack/api/pipelines`;
    const response = await ServerConnection.makeRequest(url, {}, settings);
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    return ((await response.json()) as { pipelines: RunningPipeline[] }).pipelines;
  };
}
