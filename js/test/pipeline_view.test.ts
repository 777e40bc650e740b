// lt.pipeline_view()'s front end: the layout (a column per depth, edges from needs), a box per
// step in its status's class, user strings as text only, and a click writing `step` back.

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { depths, layout, NODE, type PipelineStep, type PipelineViewState } from "../widgets/pipeline_layout";
import widget from "../widgets/pipeline_view";
import { FakeModel, XSS } from "./helpers";

function step(
  name: string,
  needs: string[] = [],
  status = "FINISHED",
  extra: Partial<PipelineStep> = {},
): PipelineStep {
  return {
    name,
    needs,
    when: "",
    status,
    run_id: `run-${name}`,
    reused_from: "",
    params: {},
    metrics: {},
    error: "",
    ...extra,
  };
}

const STEPS = [
  step("prepare"),
  step("train_a", ["prepare"], "REUSED", { reused_from: "old" }),
  step("train_b", ["prepare"], "RUNNING", { metrics: { accuracy: 0.91 }, params: { C: "1.0" } }),
  step("evaluate", ["train_a", "train_b"], "PENDING"),
  step("register", ["evaluate"], "SKIPPED", { when: "steps.evaluate.metrics.accuracy >= 0.9" }),
];

function state(steps: PipelineStep[] = STEPS): PipelineViewState {
  return {
    parent_run_id: "p",
    name: "demo",
    status: "RUNNING",
    steps,
    step: "",
    live: true,
    selected: [],
    empty_message: "",
  };
}

describe("layout", () => {
  it("puts a step one column right of its deepest need", () => {
    expect(Object.fromEntries(depths(STEPS))).toEqual({ prepare: 0, train_a: 1, train_b: 1, evaluate: 2, register: 3 });
    const drawn = layout(STEPS);
    const at = Object.fromEntries(drawn.boxes.map((b) => [b.name, b]));
    expect(at.train_a.x).toBe(at.train_b.x);
    expect(at.train_b.y).toBe(at.train_a.y + NODE.height + NODE.gapY);
    expect(at.evaluate.x).toBeGreaterThan(at.train_a.x);
    expect(drawn.edges.map((e) => `${e.from}>${e.to}`)).toEqual([
      "prepare>train_a",
      "prepare>train_b",
      "train_a>evaluate",
      "train_b>evaluate",
      "evaluate>register",
    ]);
    expect(drawn.width).toBe(NODE.pad * 2 + 4 * NODE.width + 3 * NODE.gapX);
  });

  it("ignores needs it does not know and never loops", () => {
    expect(Object.fromEntries(depths([step("a", ["ghost"]), step("b", ["c"]), step("c", ["b"])]))).toMatchObject({
      a: 0,
    });
  });
});

const frame = () => vi.advanceTimersByTimeAsync(16);

describe("pipeline_view", () => {
  let dispose: (() => void) | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    dispose?.();
    document.body.innerHTML = "";
  });

  it("draws a box per step in its status's class, and a click chooses the step", async () => {
    const model = new FakeModel(state());
    const el = document.createElement("div");
    document.body.appendChild(el);
    dispose = widget.render({ model, el });
    const boxes = [...el.querySelectorAll<SVGGElement>(".lt-pipeline-step")];
    expect(boxes.map((b) => b.getAttribute("data-step"))).toEqual(STEPS.map((s) => s.name));
    expect(boxes[1].getAttribute("class")).toContain("lt-status-reused");
    expect(boxes[4].getAttribute("class")).toContain("lt-status-skipped");
    expect(el.querySelectorAll(".lt-pipeline-edge")).toHaveLength(5);
    expect(el.querySelector(".lt-live")?.hasAttribute("hidden")).toBe(false);

    boxes[2].dispatchEvent(new Event("click"));
    expect(model.get("step")).toBe("train_b");
    expect(model.saves).toBe(1);
    await frame();
    const panel = el.querySelector(".lt-pipeline-details")?.textContent ?? "";
    expect(panel).toContain("accuracy");
    expect(panel).toContain("C");
    expect(el.querySelector(".lt-chosen")?.getAttribute("data-step")).toBe("train_b");
  });

  it("shows user strings as text, never markup", async () => {
    const model = new FakeModel(state([step(XSS, [], "FAILED", { error: XSS, params: { [XSS]: XSS } })]));
    const el = document.createElement("div");
    document.body.appendChild(el);
    dispose = widget.render({ model, el });
    model.set("step", XSS);
    await frame();
    expect(el.querySelector("img")).toBeNull();
    expect(el.textContent).toContain("<img");
  });
});
