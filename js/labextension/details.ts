// A run's or a model version's details in the main area: a run's note (sanitized Markdown,
// editable), params, metrics, tags, artifacts (folders open on demand), and for a version its
// registry history. Text only via textContent, the note only through DOMPurify.

import { Widget } from "@lumino/widgets";

import { h, replaceChildren } from "../shared/dom";
import { formatAbsoluteTime, formatNumber } from "../shared/format";
import { Disposer } from "../shared/model";
import { noteEditor } from "../shared/notes";
import { runLabel, versionBadges } from "./logic";
import { message } from "./model";
import type { Api, Artifact, HistoryEvent, ModelVersion, RunDetail } from "./types";
import { badgeList } from "./view";

export type Subject = { kind: "run"; runId: string } | { kind: "version"; name: string; version: string };

export function subjectId(subject: Subject): string {
  return subject.kind === "run"
    ? `labtrack-run-${subject.runId}`
    : `labtrack-version-${encodeURIComponent(subject.name)}-${subject.version}`;
}

/** MLflow's run description tag: the note the table, the comparison and this view edit. */
export const NOTE_TAG = "mlflow.note.content";

export class DetailsView extends Widget {
  private parts = new Disposer(); // the listeners of what load() drew last

  constructor(
    private readonly api: Api,
    readonly subject: Subject,
    private readonly openRun: (runId: string) => void,
  ) {
    super();
    this.id = subjectId(subject);
    this.addClass("lt-details");
    this.node.tabIndex = -1;
    this.title.label = subject.kind === "run" ? "Run" : `${subject.name} v${subject.version}`;
    this.title.closable = true;
    void this.load();
  }

  override dispose(): void {
    this.parts.dispose();
    super.dispose();
  }

  async load(): Promise<void> {
    this.parts.dispose();
    this.parts = new Disposer();
    replaceChildren(this.node, [h("div", { class: "lt-sb-loading", text: "Loading…" })]);
    try {
      const parts =
        this.subject.kind === "run"
          ? await this.runParts(this.subject.runId)
          : await this.versionParts(this.subject.name, this.subject.version);
      replaceChildren(this.node, parts);
    } catch (error) {
      replaceChildren(this.node, [h("div", { class: "lt-sb-error", text: message(error), attrs: { role: "alert" } })]);
    }
  }

  private async runParts(runId: string): Promise<HTMLElement[]> {
    const run: RunDetail = await this.api.run(runId);
    this.title.label = `Run ${run.run_name}`;
    this.title.caption = `run ${run.run_id}`;
    return [
      h("h2", { text: `Run ${run.run_name}` }),
      facts([
        ["Status", run.status],
        ["Run id", run.run_id],
        ["Started", formatAbsoluteTime(run.start_time)],
        ["Ended", formatAbsoluteTime(run.end_time)],
        ["User", run.user_id],
      ]),
      this.noteSection(run),
      table(
        "Metrics (latest)",
        Object.entries(run.metrics).map(([k, v]) => [k, v === null ? "–" : formatNumber(v)]),
      ),
      table("Parameters", Object.entries(run.params)),
      table(
        "Tags",
        Object.entries(run.tags).filter(([key]) => key !== NOTE_TAG), // shown above, as the note
      ),
      h("section", { class: "lt-details-section" }, [
        h("h3", { text: "Artifacts" }),
        this.artifactList(run.run_id, run.artifacts),
      ]),
    ];
  }

  private noteSection(run: RunDetail): HTMLElement {
    const editor = noteEditor(
      async (text) => (await this.api.setNote(run.run_id, text)).tags[NOTE_TAG] ?? "",
      this.parts,
      `note of run ${run.run_name}`,
      "lt-sb-button",
    );
    editor.show(run.tags[NOTE_TAG] ?? "");
    return h("section", { class: "lt-details-section lt-details-note" }, [h("h3", { text: "Note" }), editor.el]);
  }

  private async versionParts(name: string, version: string): Promise<HTMLElement[]> {
    const [found, events]: [ModelVersion, HistoryEvent[]] = await Promise.all([
      this.api.version(name, version),
      this.api.history(name, version),
    ]);
    const runId = found.run_id;
    let source: HTMLButtonElement | null = null;
    if (runId) {
      source = h("button", { class: "lt-sb-button", text: `Open run ${runLabel(found)}`, attrs: { type: "button" } });
      source.addEventListener("click", () => this.openRun(runId));
    }
    return [
      h("h2", {}, [`${name} version ${version} `, badgeList(versionBadges(found))]),
      found.description ? h("p", { class: "lt-sb-description", text: found.description }) : h("span"),
      facts([
        ["Stage", found.current_stage],
        ["Aliases", found.aliases.join(", ") || "–"],
        ["Source", found.source],
        ["Registered", formatAbsoluteTime(found.creation_timestamp)],
        ["By", found.user_id],
      ]),
      h("div", {}, [source]),
      table(
        "Metrics of the source run",
        Object.entries(found.metrics).map(([k, v]) => [k, v === null ? "–" : formatNumber(v)]),
      ),
      table("Tags", Object.entries(found.tags)),
      historyTable(events),
    ];
  }

  private artifactList(runId: string, files: Artifact[]): HTMLElement {
    if (!files.length) return h("div", { class: "lt-sb-empty", text: "No artifacts." });
    return h(
      "ul",
      { class: "lt-details-artifacts" },
      files.map((file) => {
        const base = file.path.split("/").pop() ?? file.path;
        if (!file.is_dir)
          return h("li", { text: `${base}${file.file_size === null ? "" : `  (${formatNumber(file.file_size)} B)`}` });
        const item = h("li");
        const toggle = h("button", {
          class: "lt-sb-link",
          text: `▸ ${base}/`,
          attrs: { type: "button", "aria-expanded": "false", "aria-label": `folder ${file.path}` },
        });
        let open = false;
        toggle.addEventListener("click", async () => {
          open = !open;
          toggle.textContent = `${open ? "▾" : "▸"} ${base}/`;
          toggle.setAttribute("aria-expanded", String(open));
          item.querySelector(":scope > ul, :scope > .lt-sb-error")?.remove();
          if (!open) return;
          try {
            item.appendChild(this.artifactList(runId, await this.api.artifacts(runId, file.path)));
          } catch (error) {
            item.appendChild(h("div", { class: "lt-sb-error", text: message(error) }));
          }
        });
        item.appendChild(toggle);
        return item;
      }),
    );
  }
}

function facts(rows: [string, string][]): HTMLElement {
  return h(
    "dl",
    { class: "lt-details-facts" },
    rows.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v || "–" })]),
  );
}

function table(title: string, rows: [string, string][]): HTMLElement {
  const body = rows.length
    ? h("table", { class: "lt-details-table" }, [
        h(
          "tbody",
          {},
          rows.map(([k, v]) => h("tr", {}, [h("th", { text: k, attrs: { scope: "row" } }), h("td", { text: v })])),
        ),
      ])
    : h("div", { class: "lt-sb-empty", text: "None." });
  return h("section", { class: "lt-details-section" }, [h("h3", { text: title }), body]);
}

function historyTable(events: HistoryEvent[]): HTMLElement {
  const header = h(
    "tr",
    {},
    ["When", "What", "From", "To", "Who", "Comment"].map((t) => h("th", { text: t, attrs: { scope: "col" } })),
  );
  const rows = events.map((e) =>
    h(
      "tr",
      {},
      [
        formatAbsoluteTime(e.timestamp),
        e.key ? `${e.action} ${e.key}` : e.action,
        e.from ?? "",
        e.to ?? "",
        e.user,
        e.comment ?? "",
      ].map((t) => h("td", { text: t })),
    ),
  );
  return h("section", { class: "lt-details-section" }, [
    h("h3", { text: "History" }),
    events.length
      ? h("table", { class: "lt-details-table lt-details-history" }, [h("thead", {}, [header]), h("tbody", {}, rows)])
      : h("div", { class: "lt-sb-empty", text: "No changes recorded." }),
  ]);
}
