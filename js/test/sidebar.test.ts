// The sidebar's logic, its model (against a fake server answering with the contract
// fixture, js/labextension/fixtures/api.json) and the tree it draws.

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import api from "../labextension/fixtures/api.json";
import {
  aliasProblem,
  keyMetrics,
  modelBadges,
  promotionLabel,
  versionBadges,
  versionKey,
} from "../labextension/logic";
import { SidebarModel } from "../labextension/model";
import type { Api, ModelVersion, RegisteredModel, RunDetail, RunSummary, Stage } from "../labextension/types";
import { renderTree, type TreeActions } from "../labextension/view";
import { XSS } from "./helpers";

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));
const fixtureModel = () => clone(api.model) as unknown as RegisteredModel;

/** A server in memory: one model whose versions' stages and aliases change as asked. */
class FakeApi implements Api {
  model_ = fixtureModel();
  stampValue = "s1";
  calls: string[] = [];
  fail: string | null = null;

  private guard(call: string) {
    this.calls.push(call);
    if (this.fail) return Promise.reject(new Error(this.fail));
    return Promise.resolve();
  }
  async stamp() {
    await this.guard("stamp");
    return this.stampValue;
  }
  async experiments() {
    await this.guard("experiments");
    return clone(api.experiments.experiments);
  }
  async runs(id: string, query: string) {
    await this.guard(`runs ${id} ${query}`);
    return (clone(api.runs.runs) as RunSummary[]).filter((r) => r.run_name.toLowerCase().includes(query.toLowerCase()));
  }
  async run() {
    return clone(api.run) as never;
  }
  async artifacts() {
    return clone(api.artifacts.files);
  }
  async setNote(runId: string, note: string) {
    await this.guard(`note ${runId}`);
    const run = clone(api.run) as RunDetail;
    return { ...run, run_id: runId, tags: { ...run.tags, "mlflow.note.content": note } };
  }
  async models(query: string) {
    await this.guard(`models ${query}`);
    return this.model_.name.includes(query) ? [clone(this.model_)] : [];
  }
  async model(name: string) {
    await this.guard(`model ${name}`);
    return clone(this.model_);
  }
  async version(_: string, v: string) {
    return clone(this.model_.versions!.find((x) => x.version === v)!);
  }
  async history() {
    return clone(api.history.events);
  }
  async setStage(name: string, version: string, stage: Stage, archiveExisting: boolean) {
    await this.guard(`stage ${name} ${version} ${stage} ${archiveExisting}`);
    for (const v of this.model_.versions!) {
      if (v.version === version) v.current_stage = stage;
      else if (archiveExisting && v.current_stage === stage) v.current_stage = "Archived";
    }
    return clone(this.model_);
  }
  async archive(name: string, version: string) {
    return this.setStage(name, version, "Archived", false);
  }
  async setAlias(name: string, alias: string, version: string) {
    await this.guard(`alias ${name} ${alias} ${version}`);
    for (const v of this.model_.versions!)
      v.aliases = v.aliases.filter((a) => a !== alias).concat(v.version === version ? [alias] : []);
    this.model_.aliases[alias] = version;
    return clone(this.model_);
  }
  async deleteAlias(name: string, alias: string) {
    await this.guard(`unalias ${name} ${alias}`);
    return clone(this.model_);
  }
}

function version(overrides: Partial<ModelVersion> = {}): ModelVersion {
  return { ...(clone(api.version) as unknown as ModelVersion), ...overrides };
}

describe("badges", () => {
  it("show a version's stage (not None), then its aliases", () => {
    expect(
      versionBadges(version({ current_stage: "Production", aliases: ["prod", "champion"] })).map((b) => b.text),
    ).toEqual(["Production", "@champion", "@prod"]);
    expect(versionBadges(version({ current_stage: "None", aliases: [] }))).toEqual([]);
  });

  it("summarize a collapsed model: the newest Production and Staging versions and the aliases", () => {
    const model = fixtureModel();
    expect(modelBadges(model).map((b) => b.text)).toEqual(["Production v2", "@champion v2"]);
  });
});

describe("keyMetrics", () => {
  it("shows the first few metrics by name, formatted as the widgets format them", () => {
    expect(keyMetrics({ val_loss: 0.123456, accuracy: 0.95, f1: null, zeta: 3 }, 3)).toEqual([
      "accuracy 0.95",
      "f1 –",
      "val_loss 0.1235",
    ]);
  });
});

describe("aliasProblem", () => {
  it("accepts the registry's aliases and explains the rest", () => {
    expect(aliasProblem("champion")).toBe("");
    expect(aliasProblem(" best-2024_a ")).toBe("");
    expect(aliasProblem("")).toMatch(/Type an alias/);
    expect(aliasProblem("a b")).toMatch(/letters, digits/);
    for (const reserved of ["latest", "v3", "12"]) expect(aliasProblem(reserved)).toMatch(/reserved/);
  });

  it("names promotions as the dialog and progress line say them", () => {
    expect(promotionLabel({ kind: "stage", stage: "Staging", archiveExisting: false })).toBe("Move to Staging");
    expect(promotionLabel({ kind: "alias", alias: " champion " })).toBe("Set alias @champion");
  });
});

describe("SidebarModel", () => {
  let server: FakeApi;
  let model: SidebarModel;
  beforeEach(() => {
    server = new FakeApi();
    model = new SidebarModel(server);
  });
  afterEach(() => model.dispose());

  it("loads models and experiments, and a model's versions when expanded", async () => {
    await model.refresh();
    expect(model.state.models.map((m) => m.name)).toEqual(["iris-svm"]);
    expect(model.state.experiments.map((e) => e.name)).toEqual(["svm", "Default"]);
    await model.toggleModel("iris-svm");
    expect(model.state.modelDetails.get("iris-svm")?.versions?.map((v) => v.version)).toEqual(["2", "1"]);
    await model.toggleModel("iris-svm");
    expect(model.state.expandedModels.size).toBe(0);
  });

  it("passes the search text to the server for models and the runs of open experiments", async () => {
    await model.refresh();
    await model.toggleExperiment("1");
    expect(model.state.runs.get("1")?.length).toBe(2);
    await model.setQuery("=10");
    expect(server.calls).toContain("models =10");
    expect(server.calls).toContain("runs 1 =10");
    expect(model.state.runs.get("1")?.map((r) => r.run_name)).toEqual(["C=10"]);
  });

  it("promotes a version, shows progress while it runs, then the new stages in place", async () => {
    await model.refresh();
    await model.toggleModel("iris-svm");
    const seen: string[] = [];
    model.subscribe(() => {
      const progress = model.state.progress.get(versionKey("iris-svm", "1"));
      if (progress) seen.push(progress);
    });
    const ok = await model.promote("iris-svm", "1", { kind: "stage", stage: "Production", archiveExisting: true });
    expect(ok).toBe(true);
    expect(seen).toContain("Moving to Production…");
    expect(server.calls).toContain("stage iris-svm 1 Production true");
    const stages = Object.fromEntries(
      model.state.modelDetails.get("iris-svm")!.versions!.map((v) => [v.version, v.current_stage]),
    );
    expect(stages).toEqual({ "1": "Production", "2": "Archived" });
    expect(model.state.progress.size).toBe(0);
  });

  it("sets an alias (trimmed) and shows it on the version", async () => {
    await model.refresh();
    await model.promote("iris-svm", "1", { kind: "alias", alias: " best " });
    expect(server.calls).toContain("alias iris-svm best 1");
    expect(model.state.modelDetails.get("iris-svm")!.versions!.find((v) => v.version === "1")!.aliases).toContain(
      "best",
    );
  });

  it("keeps a failed action's error on the version's row, and clears it on the next try", async () => {
    await model.refresh();
    server.fail = "stage 'Sideways' is unknown";
    expect(await model.archive("iris-svm", "2")).toBe(false);
    expect(model.state.errors.get(versionKey("iris-svm", "2"))).toBe("stage 'Sideways' is unknown");
    server.fail = null;
    expect(await model.archive("iris-svm", "2")).toBe(true);
    expect(model.state.errors.has(versionKey("iris-svm", "2"))).toBe(false);
  });

  it("refuses a second action on a version while the first runs", async () => {
    await model.refresh();
    const first = model.archive("iris-svm", "2");
    expect(await model.archive("iris-svm", "2")).toBe(false);
    expect(await first).toBe(true);
  });

  it("shows why a refresh failed", async () => {
    server.fail = "cannot reach the server";
    await model.refresh();
    expect(model.state.error).toBe("cannot reach the server");
    expect(model.state.loading).toBe(false);
  });

  it("refreshes when the store's stamp changes, not otherwise", async () => {
    await model.poll();
    const loads = () => server.calls.filter((c) => c === "experiments").length;
    expect(loads()).toBe(1);
    await model.poll();
    expect(loads()).toBe(1);
    server.stampValue = "s2";
    await model.poll();
    expect(loads()).toBe(2);
  });

  it("polls on a timer only while started", async () => {
    vi.useFakeTimers();
    try {
      model.startPolling(1000);
      await vi.advanceTimersByTimeAsync(3500);
      const polls = server.calls.filter((c) => c === "stamp").length;
      expect(polls).toBe(4); // at once, then every second
      model.stopPolling();
      await vi.advanceTimersByTimeAsync(3000);
      expect(server.calls.filter((c) => c === "stamp").length).toBe(polls);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("renderTree", () => {
  const noop = () => undefined;
  const actions = (): TreeActions & Record<string, ReturnType<typeof vi.fn>> => ({
    toggleModel: vi.fn(noop),
    toggleExperiment: vi.fn(noop),
    openRun: vi.fn(noop),
    openVersion: vi.fn(noop),
    promote: vi.fn(noop),
    archive: vi.fn(noop),
  });

  async function loaded(): Promise<SidebarModel> {
    const server = new FakeApi();
    server.model_.name = XSS;
    for (const v of server.model_.versions!) v.name = XSS;
    server.model_.description = XSS;
    const model = new SidebarModel(server);
    await model.refresh();
    await model.toggleModel(XSS);
    await model.toggleExperiment("1");
    return model;
  }

  function mount(model: SidebarModel, act: TreeActions): HTMLElement {
    const root = document.createElement("div");
    root.append(...renderTree(model.state, act));
    document.body.replaceChildren(root);
    return root;
  }

  it("shows names and descriptions as text, never as markup", async () => {
    const root = mount(await loaded(), actions());
    expect(root.textContent).toContain(XSS);
    expect(root.querySelector("img")).toBeNull();
  });

  it("draws each version with its badges, source run and key metrics", async () => {
    const root = mount(await loaded(), actions());
    const v2 = root.querySelector('[data-version="2"]')!;
    expect([...v2.querySelectorAll(".lt-sb-badge")].map((b) => b.textContent)).toEqual(["Production", "@champion"]);
    expect(v2.textContent).toContain("accuracy 0.95");
    expect(v2.textContent).toContain("run C=10"); // the source run by name
  });

  it("makes rows focusable tree items that Enter and Space activate", async () => {
    const act = actions();
    const root = mount(await loaded(), act);
    const modelRow = root.querySelector<HTMLElement>('[data-key^="model:"]')!;
    expect(modelRow.getAttribute("role")).toBe("treeitem");
    expect(modelRow.getAttribute("tabindex")).toBe("0");
    expect(modelRow.getAttribute("aria-expanded")).toBe("true");
    modelRow.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(act.toggleModel).toHaveBeenCalledWith(XSS);
    const runRow = root.querySelector<HTMLElement>('[data-key^="run:"]')!;
    runRow.dispatchEvent(new KeyboardEvent("keydown", { key: " ", bubbles: true }));
    expect(act.openRun).toHaveBeenCalledTimes(1);
  });

  it("labels each action with the version it acts on, and disables it while one runs", async () => {
    const model = await loaded();
    model.state.progress.set(versionKey(XSS, "1"), "Archiving…");
    const act = actions();
    const root = mount(model, act);
    const promote = root.querySelector<HTMLButtonElement>(`[aria-label="promote ${XSS} version 2"]`)!;
    promote.click();
    expect(act.promote).toHaveBeenCalledWith(XSS, "2");
    expect(act.toggleModel).not.toHaveBeenCalled(); // the button acts alone, not its row
    expect(root.querySelector<HTMLButtonElement>(`[aria-label="promote ${XSS} version 1"]`)!.disabled).toBe(true);
    expect(root.querySelector('[data-version="1"] [role="status"]')!.textContent).toBe("Archiving…");
  });

  it("says what to do when there is nothing yet", () => {
    const model = new SidebarModel(new FakeApi());
    const root = mount(model, actions());
    expect(root.textContent).toContain("No registered models yet");
    expect(root.textContent).toContain("No experiments yet");
  });
});
