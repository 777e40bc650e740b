// Draws the sidebar's tree from the model's state: plain DOM, text only through textContent
// (names, descriptions and metrics are user strings). Rows are focusable tree items: Enter or
// Space opens or expands, and every button says what it does to which item (aria-label).

import { h } from "../shared/dom";
import { formatRelativeTime } from "../shared/format";
import type { Badge } from "./logic";
import { keyMetrics, modelBadges, runLabel, versionBadges, versionKey } from "./logic";
import type { SidebarState } from "./model";
import type { Experiment, ModelVersion, RegisteredModel, RunSummary } from "./types";

/** What a person can do from the tree; the panel wires these to the model and dialogs. */
export interface TreeActions {
  toggleModel(name: string): void;
  toggleExperiment(experimentId: string): void;
  openRun(runId: string): void;
  openVersion(name: string, version: string): void;
  promote(name: string, version: string): void;
  archive(name: string, version: string): void;
}

export function renderTree(state: SidebarState, actions: TreeActions, now: number = Date.now()): HTMLElement[] {
  return [
    section(
      "Registered models",
      state.models.length,
      "lt-sb-models",
      state.models.length
        ? state.models.map((m) => modelItem(m, state, actions, now))
        : [
            emptyLine(
              state.query
                ? "No registered model matches."
                : "No registered models yet: lt.register_model(...) adds one.",
            ),
          ],
    ),
    section(
      "Experiments",
      state.experiments.length,
      "lt-sb-experiments",
      state.experiments.length
        ? state.experiments.map((e) => experimentItem(e, state, actions, now))
        : [emptyLine("No experiments yet.")],
    ),
  ];
}

function section(title: string, count: number, kind: string, items: HTMLElement[]): HTMLElement {
  const heading = h("h3", { class: "lt-sb-heading" }, [
    title,
    h("span", { class: "lt-sb-count", text: String(count) }),
  ]);
  return h("section", { class: `lt-sb-section ${kind}`, attrs: { "aria-label": title } }, [
    heading,
    h("ul", { class: "lt-sb-tree", attrs: { role: "tree", "aria-label": title } }, items),
  ]);
}

function emptyLine(text: string): HTMLElement {
  return h("li", { class: "lt-sb-empty", text, attrs: { role: "none" } });
}

/** A focusable row: Enter and Space do `activate`, like a click. */
function row(
  key: string,
  label: string,
  activate: () => void,
  children: (Node | string | null)[],
  expanded?: boolean,
): HTMLElement {
  const element = h(
    "div",
    {
      class: "lt-sb-row",
      attrs: {
        role: "treeitem",
        tabindex: 0,
        "data-key": key,
        "aria-label": label,
        "aria-expanded": expanded === undefined ? null : String(expanded),
      },
    },
    children,
  );
  element.addEventListener("click", (event) => {
    if ((event.target as HTMLElement).closest("button")) return; // the row's own buttons act alone
    activate();
  });
  element.addEventListener("keydown", (event) => {
    if (event.target !== element) return;
    const toggle = expanded !== undefined;
    if (
      event.key === "Enter" ||
      event.key === " " ||
      (toggle && event.key === (expanded ? "ArrowLeft" : "ArrowRight"))
    ) {
      event.preventDefault();
      activate();
    }
  });
  return element;
}

function caret(expanded: boolean): HTMLElement {
  return h("span", { class: "lt-sb-caret", text: expanded ? "▾" : "▸", attrs: { "aria-hidden": "true" } });
}

/** Stage and alias badges (also drawn by the details view). */
export function badgeList(list: Badge[]): HTMLElement {
  return h(
    "span",
    { class: "lt-sb-badges" },
    list.map((b) =>
      h("span", {
        class: `lt-sb-badge lt-sb-badge-${b.kind}${b.stage ? ` lt-sb-stage-${b.stage.toLowerCase()}` : ""}`,
        text: b.text,
        title: b.title,
      }),
    ),
  );
}

/** A button that acts alone (its row does not also activate); `link` looks like a link. */
function button(
  text: string,
  label: string,
  onClick: () => void,
  options: { disabled?: boolean; link?: boolean } = {},
): HTMLButtonElement {
  const element = h("button", {
    class: options.link ? "lt-sb-link" : "lt-sb-button",
    text,
    title: label,
    attrs: { type: "button", "aria-label": label, disabled: options.disabled },
  });
  element.addEventListener("click", (event) => {
    event.stopPropagation();
    onClick();
  });
  return element;
}

function status(progress: string | undefined, error: string | undefined): HTMLElement | null {
  if (progress) return h("div", { class: "lt-sb-progress", text: progress, attrs: { role: "status" } });
  if (error) return h("div", { class: "lt-sb-error", text: error, attrs: { role: "alert" } });
  return null;
}

function modelItem(model: RegisteredModel, state: SidebarState, actions: TreeActions, now: number): HTMLElement {
  const expanded = state.expandedModels.has(model.name);
  const details = state.modelDetails.get(model.name);
  const head = row(
    `model:${model.name}`,
    `model ${model.name}`,
    () => actions.toggleModel(model.name),
    [
      caret(expanded),
      h("span", { class: "lt-sb-name", text: model.name, title: model.name }),
      badgeList(modelBadges(model)),
    ],
    expanded,
  );
  const children: (HTMLElement | null)[] = [];
  if (expanded) {
    if (model.description) children.push(h("div", { class: "lt-sb-description", text: model.description }));
    children.push(status(undefined, state.errors.get(model.name)));
    const versions = details?.versions;
    if (!versions) children.push(h("div", { class: "lt-sb-loading", text: "Loading versions…" }));
    else if (!versions.length) children.push(h("div", { class: "lt-sb-empty", text: "No versions." }));
    else
      children.push(
        h(
          "ul",
          { class: "lt-sb-versions", attrs: { role: "group" } },
          versions.map((v) => versionItem(v, state, actions, now)),
        ),
      );
  }
  return h("li", { class: "lt-sb-item lt-sb-model", attrs: { role: "none" } }, [head, ...children]);
}

function versionItem(version: ModelVersion, state: SidebarState, actions: TreeActions, now: number): HTMLElement {
  const key = versionKey(version.name, version.version);
  const progress = state.progress.get(key);
  const who = `${version.name} version ${version.version}`;
  const runId = version.run_id;
  const metrics = keyMetrics(version.metrics);
  const source = runId
    ? button(`run ${runLabel(version)}`, `open source run of ${who}`, () => actions.openRun(runId), { link: true })
    : h("span", { class: "lt-sb-muted", text: "no source run" });
  const archived = version.current_stage === "Archived";
  return h("li", { class: "lt-sb-version", attrs: { role: "none", "data-version": version.version } }, [
    row(
      `version:${key}`,
      `${who}, ${version.current_stage === "None" ? "no stage" : version.current_stage}${version.aliases.length ? `, aliases ${version.aliases.join(", ")}` : ""}`,
      () => actions.openVersion(version.name, version.version),
      [
        h("span", { class: "lt-sb-name", text: `Version ${version.version}` }),
        badgeList(versionBadges(version)),
        h("span", {
          class: "lt-sb-time",
          text: formatRelativeTime(version.creation_timestamp, now),
          title: "registered",
        }),
      ],
    ),
    h("div", { class: "lt-sb-meta" }, [source, ...metrics.map((m) => h("span", { class: "lt-sb-metric", text: m }))]),
    h("div", { class: "lt-sb-actions" }, [
      button("Promote…", `promote ${who}`, () => actions.promote(version.name, version.version), {
        disabled: Boolean(progress),
      }),
      button("Archive", `archive ${who}`, () => actions.archive(version.name, version.version), {
        disabled: Boolean(progress) || archived,
      }),
      button("Details", `details of ${who}`, () => actions.openVersion(version.name, version.version)),
    ]),
    status(progress, state.errors.get(key)),
  ]);
}

function experimentItem(experiment: Experiment, state: SidebarState, actions: TreeActions, now: number): HTMLElement {
  const id = experiment.experiment_id;
  const expanded = state.expandedExperiments.has(id);
  const children: (HTMLElement | null)[] = [];
  if (expanded) {
    children.push(status(undefined, state.errors.get(`experiment:${id}`)));
    const runs = state.runs.get(id);
    if (!runs) children.push(h("div", { class: "lt-sb-loading", text: "Loading runs…" }));
    else if (!runs.length)
      children.push(h("div", { class: "lt-sb-empty", text: state.query ? "No run matches." : "No runs yet." }));
    else
      children.push(
        h(
          "ul",
          { class: "lt-sb-runs", attrs: { role: "group" } },
          runs.map((r) => runItem(r, actions, now)),
        ),
      );
  }
  return h("li", { class: "lt-sb-item lt-sb-experiment", attrs: { role: "none" } }, [
    row(
      `experiment:${id}`,
      `experiment ${experiment.name}`,
      () => actions.toggleExperiment(id),
      [caret(expanded), h("span", { class: "lt-sb-name", text: experiment.name, title: experiment.name })],
      expanded,
    ),
    ...children,
  ]);
}

function runItem(run: RunSummary, actions: TreeActions, now: number): HTMLElement {
  return h("li", { class: "lt-sb-run", attrs: { role: "none" } }, [
    row(`run:${run.run_id}`, `run ${run.run_name}, ${run.status.toLowerCase()}`, () => actions.openRun(run.run_id), [
      h("span", {
        class: `lt-sb-status lt-sb-status-${run.status.toLowerCase()}`,
        title: run.status,
        attrs: { "aria-hidden": "true" },
      }),
      h("span", { class: "lt-sb-name", text: run.run_name, title: run.run_name }),
      h("span", { class: "lt-sb-time", text: formatRelativeTime(run.start_time, now), title: "started" }),
      h(
        "div",
        { class: "lt-sb-meta" },
        keyMetrics(run.metrics).map((m) => h("span", { class: "lt-sb-metric", text: m })),
      ),
    ]),
  ]);
}
