// @vitest-environment jsdom
// The sidebar's run details: the run's note shown as sanitized Markdown and edited through the
// server's PUT runs/<id>/note (here an in-memory Api; tests/sidebar/test_notes.py has the route).

import { describe, expect, it } from "vitest";

import api from "../labextension/fixtures/api.json";
import type { Api, RunDetail } from "../labextension/types";

// Lumino reads DragEvent when it loads; jsdom has none (happy-dom has one, but lets a <script>
// through DOMPurify, which would make the sanitizing assertions meaningless).
if (typeof globalThis.DragEvent === "undefined") {
  Object.assign(globalThis, { DragEvent: class DragEvent extends MouseEvent {} });
}
const { DetailsView, NOTE_TAG } = await import("../labextension/details");

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function server(note: string) {
  const run = JSON.parse(JSON.stringify(api.run)) as RunDetail;
  run.tags[NOTE_TAG] = note;
  const saved: [string, string][] = [];
  const fake = {
    run: async () => JSON.parse(JSON.stringify(run)) as RunDetail,
    artifacts: async () => [],
    setNote: async (runId: string, text: string) => {
      saved.push([runId, text]);
      run.tags[NOTE_TAG] = text;
      return JSON.parse(JSON.stringify(run)) as RunDetail;
    },
  };
  return { api: fake as unknown as Api, saved, run };
}

describe("run details: the note", () => {
  it("renders the note sanitized, and saves an edit through the API", async () => {
    const { api: fake, saved, run } = server("## Why\n<img src=x onerror=alert(1)> see [x](javascript:alert(1))");
    const view = new DetailsView(fake, { kind: "run", runId: run.run_id }, () => {});
    document.body.appendChild(view.node);
    await settle();
    const section = view.node.querySelector(".lt-details-note")!;
    expect(section.querySelector("h2")?.textContent).toBe("Why");
    expect(section.querySelector("[onerror]")).toBeNull();
    expect(section.querySelector("a")?.getAttribute("href") ?? "").not.toMatch(/javascript:/i);
    section.querySelector<HTMLButtonElement>(".lt-note-edit")!.click();
    section.querySelector<HTMLTextAreaElement>("textarea")!.value = "**kept** for the paper";
    section.querySelector<HTMLButtonElement>(".lt-note-save")!.click();
    await settle();
    expect(saved).toEqual([[run.run_id, "**kept** for the paper"]]);
    expect(section.querySelector("strong")?.textContent).toBe("kept");
    const tags = Array.from(view.node.querySelectorAll("th")).map((th) => th.textContent);
    expect(tags).not.toContain(NOTE_TAG); // shown once, as the note, not again among the tags
    expect(tags).toContain("mlflow.runName");
    view.dispose();
  });

  it("shows that a run has no note yet", async () => {
    const { api: fake, run } = server("");
    const view = new DetailsView(fake, { kind: "run", runId: run.run_id }, () => {});
    await settle();
    expect(view.node.querySelector(".lt-details-note")!.textContent).toContain("No note.");
    view.dispose();
  });
});
