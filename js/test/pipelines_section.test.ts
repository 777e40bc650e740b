// The sidebar's "Running pipelines" section: hidden with none, a row per running pipeline
// with its progress (names as text only), and a click or Enter opening its run.

import { describe, expect, it } from "vitest";

import { PipelinesSection, progress, type RunningPipeline } from "../labextension/pipelines";
import { XSS } from "./helpers";

const NIGHTLY: RunningPipeline = {
  run_id: "p1",
  run_name: "nightly pipeline",
  experiment_id: "1",
  pipeline: "nightly",
  start_time: 0,
  steps: 5,
  done: 2,
  running: ["train_a", "train_b"],
  failed: 1,
};

describe("running pipelines", () => {
  it("says how far each pipeline has got", () => {
    expect(progress(NIGHTLY)).toBe("2/5 steps done · running train_a, train_b · 1 failed");
    expect(progress({ ...NIGHTLY, steps: null, running: [], failed: 0 })).toBe("2 steps done");
  });

  it("lists the running pipelines, hidden when there are none, and opens one on click", async () => {
    const opened: string[] = [];
    let answer: RunningPipeline[] = [];
    const section = new PipelinesSection(
      async () => answer,
      (runId) => opened.push(runId),
    );
    await section.refresh();
    expect(section.node.hidden).toBe(true);

    answer = [NIGHTLY, { ...NIGHTLY, run_id: "p2", run_name: XSS }];
    await section.refresh();
    expect(section.node.hidden).toBe(false);
    const rows = [...section.node.querySelectorAll<HTMLElement>(".lt-sb-row")];
    expect(rows.map((r) => r.getAttribute("data-key"))).toEqual(["pipeline:p1", "pipeline:p2"]);
    expect(rows[0].textContent).toContain("running train_a, train_b");
    expect(section.node.querySelector("img")).toBeNull();
    expect(rows[1].textContent).toContain("<img");
    expect(section.node.querySelector(".lt-sb-count")?.textContent).toBe("2");

    rows[0].dispatchEvent(new Event("click"));
    rows[1].dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    expect(opened).toEqual(["p1", "p2"]);
  });

  it("keeps what it shows when the server is away", async () => {
    let fail = false;
    const section = new PipelinesSection(
      async () => {
        if (fail) throw new Error("offline");
        return [NIGHTLY];
      },
      () => {},
    );
    await section.refresh();
    fail = true;
    await section.refresh();
    expect(section.node.querySelectorAll(".lt-sb-row")).toHaveLength(1);
  });
});
