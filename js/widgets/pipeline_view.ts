// lt.pipeline_view(): a pipeline run's steps as a graph (SVG), each coloured by its status and
// redrawn as the kernel's poller sends new states; clicking a step (or Enter on it) sets `step`
// and shows its params and metrics. Names, params and errors are user strings: textContent only.

import { h, replaceChildren, widgetRoot } from "../shared/dom";
import { formatNumber } from "../shared/format";
import { commit, Disposer, type RenderProps } from "../shared/model";
import { keepDrawn } from "../shared/redraw";
import { layout, NODE, type PipelineStep, type PipelineViewState, statusLabel } from "./pipeline_layout";

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/** A name cut to fit a box, whole in its tooltip. */
function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function graph(steps: PipelineStep[], chosen: string, choose: (name: string) => void): SVGSVGElement {
  const drawn = layout(steps);
  const root = svg("svg", {
    class: "lt-pipeline-graph",
    width: drawn.width,
    height: drawn.height,
    viewBox: `0 0 ${drawn.width} ${drawn.height}`,
    role: "group",
  });
  const marker = svg("marker", {
    id: "lt-arrow",
    viewBox: "0 0 8 8",
    refX: 8,
    refY: 4,
    markerWidth: 7,
    markerHeight: 7,
    orient: "auto",
  });
  marker.appendChild(svg("path", { d: "M0,0 L8,4 L0,8 z", class: "lt-pipeline-arrow" }));
  const defs = svg("defs");
  defs.appendChild(marker);
  root.appendChild(defs);
  for (const edge of drawn.edges) {
    root.appendChild(svg("path", { d: edge.path, class: "lt-pipeline-edge", "marker-end": "url(#lt-arrow)" }));
  }
  const byName = new Map(steps.map((s) => [s.name, s]));
  for (const box of drawn.boxes) {
    const step = byName.get(box.name);
    if (!step) continue;
    const group = svg("g", {
      class: `lt-pipeline-step lt-status-${step.status.toLowerCase()}${step.name === chosen ? " lt-chosen" : ""}`,
      transform: `translate(${box.x},${box.y})`,
      tabindex: 0,
      role: "button",
      "data-step": step.name,
    });
    const title = svg("title");
    title.textContent = `${step.name}: ${statusLabel(step)}${step.when ? `\nwhen ${step.when}` : ""}${step.error ? `\n${step.error}` : ""}`;
    group.appendChild(title);
    group.appendChild(svg("rect", { width: NODE.width, height: NODE.height, rx: 6, class: "lt-pipeline-box" }));
    group.appendChild(svg("rect", { width: 6, height: NODE.height, rx: 3, class: "lt-pipeline-band" }));
    const name = svg("text", { x: 14, y: 19, class: "lt-pipeline-name" });
    name.textContent = clip(step.name, 20);
    const status = svg("text", { x: 14, y: 36, class: "lt-pipeline-status" });
    status.textContent = statusLabel(step) + (step.when ? " · conditional" : "");
    group.append(name, status);
    group.addEventListener("click", () => choose(step.name));
    group.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        choose(step.name);
      }
    });
    root.appendChild(group);
  }
  return root;
}

function table(caption: string, rows: [string, string][]): HTMLElement | null {
  if (!rows.length) return null;
  return h("table", { class: "lt-pipeline-table" }, [
    h("caption", { text: caption }),
    h(
      "tbody",
      {},
      rows.map(([key, value]) => h("tr", {}, [h("th", { text: key }), h("td", { text: value })])),
    ),
  ]);
}

function details(step: PipelineStep | undefined): HTMLElement[] {
  if (!step) return [h("div", { class: "lt-muted", text: "Click a step to see its params and metrics." })];
  const lines: (HTMLElement | null)[] = [
    h("div", { class: "lt-pipeline-detail-title" }, [
      h("strong", { text: step.name }),
      ` · ${statusLabel(step)}`,
      step.run_id ? h("span", { class: "lt-muted", text: ` · run ${step.run_id}` }) : null,
    ]),
    step.reused_from ? h("div", { class: "lt-muted", text: `reuses run ${step.reused_from}` }) : null,
    step.when ? h("div", { class: "lt-muted", text: `when ${step.when}` }) : null,
    step.error ? h("div", { class: "lt-pipeline-error", text: step.error }) : null,
    table(
      "metrics",
      Object.entries(step.metrics).map(([k, v]) => [k, formatNumber(v)]),
    ),
    table("params", Object.entries(step.params)),
  ];
  return lines.filter((line): line is HTMLElement => line !== null);
}

function render({ model, el }: RenderProps<PipelineViewState>): () => void {
  const disposer = new Disposer();
  const title = h("span", { class: "lt-pipeline-title" });
  const live = h("span", { class: "lt-live", text: "live", title: "The pipeline is running: steps update" });
  const toolbar = h("div", { class: "lt-toolbar" }, [title, h("span", { class: "lt-spacer" }), live]);
  const empty = h("div", { class: "lt-empty" });
  const area = h("div", { class: "lt-pipeline-area" });
  const panel = h("div", { class: "lt-pipeline-details" });
  const root = widgetRoot("lt-pipeline", [toolbar, empty, area, panel]);
  el.appendChild(root);
  disposer.add(() => root.remove());

  const choose = (name: string) => {
    commit(model, "step", model.get("step") === name ? "" : name);
  };

  keepDrawn(model, el, ["steps", "step", "status", "live", "empty_message"], disposer, () => {
    const steps = model.get("steps") ?? [];
    const chosen = model.get("step") ?? "";
    title.textContent = `pipeline ${model.get("name") ?? ""} · ${(model.get("status") ?? "").toLowerCase()}`;
    live.hidden = !model.get("live");
    const message = model.get("empty_message") || (steps.length ? "" : "This pipeline has no steps.");
    empty.hidden = !message;
    empty.textContent = message;
    replaceChildren(area, steps.length ? [graph(steps, chosen, choose)] : []);
    replaceChildren(panel, details(steps.find((s) => s.name === chosen)));
  });
  return () => disposer.dispose();
}

export default { render };
