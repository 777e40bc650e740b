// @vitest-environment jsdom
// Run notes in the front end: the editor, the kernel's note messages, the run table's panel
// and the comparison's notes (jsdom: DOMPurify needs a faithful HTML parser, see markdown.test).

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { Disposer } from "../shared/model";
import { kernelNotes, noteEditor, selectedRunNote } from "../shared/notes";
import type { Figure } from "../shared/types";
import { FakeModel, fixtures } from "./helpers";

vi.mock("../shared/plotly", () => ({
  plotRoot(parent: HTMLElement) {
    const root = document.createElement("div");
    parent.appendChild(root);
    return root;
  },
  draw: (root: HTMLElement, _figure: Figure) => Promise.resolve(Object.assign(root, { on: () => {} })),
}));

const { default: compare } = await import("../widgets/compare");

/** A widget model whose kernel answers note messages as src/labtrack/widgets/notes.py does. */
class KernelModel<S extends object> extends FakeModel<S> {
  readonly sent: Record<string, unknown>[] = [];
  readonly stored = new Map<string, string>();
  private readonly custom = new Set<(message: unknown) => void>();
  failWith = "";

  override on(event: string, callback: () => void): void {
    if (event === "msg:custom") this.custom.add(callback);
    else super.on(event, callback);
  }

  override off(event?: string | null, callback?: (() => void) | null): void {
    if (event === "msg:custom" && callback) this.custom.delete(callback);
    else super.off(event, callback);
  }

  override listenerCount(): number {
    return super.listenerCount() + this.custom.size;
  }

  send(content: Record<string, unknown>): void {
    this.sent.push(content);
    const runId = content.run_id as string;
    queueMicrotask(() => {
      let reply: object;
      if (this.failWith) reply = { type: "note_error", run_id: runId, message: this.failWith };
      else {
        if (content.type === "set_note") this.stored.set(runId, content.note as string);
        reply = { type: "note", run_id: runId, note: this.stored.get(runId) ?? "" };
      }
      for (const handler of this.custom) handler(reply);
    });
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
let el: HTMLElement;
beforeEach(() => {
  el = document.createElement("div");
  document.body.appendChild(el);
});
afterEach(() => el.remove());

describe("noteEditor", () => {
  it("shows the note as sanitized Markdown, edits, saves and shows what was stored", async () => {
    const disposer = new Disposer();
    const saved: string[] = [];
    const editor = noteEditor(async (text) => {
      saved.push(text);
      return `${text}!`;
    }, disposer);
    el.appendChild(editor.el);
    editor.show("**bold** <img src=x onerror=alert(1)>");
    expect(el.querySelector(".lt-markdown strong")?.textContent).toBe("bold");
    expect(el.querySelector("img")).toBeNull(); // an image from elsewhere, handler and all
    el.querySelector<HTMLButtonElement>(".lt-note-edit")!.click();
    const input = el.querySelector<HTMLTextAreaElement>("textarea")!;
    expect(input.value).toBe("**bold** <img src=x onerror=alert(1)>");
    input.value = "*new*";
    el.querySelector<HTMLButtonElement>(".lt-note-save")!.click();
    await settle();
    expect(saved).toEqual(["*new*"]);
    expect(el.querySelector(".lt-note-form")!.hasAttribute("hidden")).toBe(true);
    expect(el.querySelector(".lt-markdown em")?.textContent).toBe("new");
    expect(el.querySelector(".lt-markdown")?.textContent?.trim()).toBe("new!"); // as stored
    disposer.dispose();
  });

  it("keeps the text and shows why when saving fails; Escape cancels; Ctrl+Enter saves", async () => {
    const disposer = new Disposer();
    let fail = true;
    const editor = noteEditor(async (text) => {
      if (fail) throw new Error("tag value too long");
      return text;
    }, disposer);
    el.appendChild(editor.el);
    editor.show("");
    expect(el.textContent).toContain("No note.");
    el.querySelector<HTMLButtonElement>(".lt-note-edit")!.click();
    const input = el.querySelector<HTMLTextAreaElement>("textarea")!;
    input.value = "draft";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", ctrlKey: true, bubbles: true }));
    await settle();
    expect(el.querySelector(".lt-note-status")!.textContent).toBe("tag value too long");
    expect(input.value).toBe("draft");
    editor.show("changed elsewhere"); // an edit in progress is left alone
    expect(el.querySelector(".lt-note-form")!.hasAttribute("hidden")).toBe(false);
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(el.querySelector(".lt-markdown")?.textContent).toContain("changed elsewhere");
    fail = false;
    disposer.dispose();
  });
});

describe("kernelNotes", () => {
  it("asks the kernel and matches its replies to the runs asked about", async () => {
    const model = new KernelModel({});
    const disposer = new Disposer();
    const notes = kernelNotes(model, disposer);
    model.stored.set("a", "note of a");
    const [a, b] = await Promise.all([notes.get("a"), notes.set("b", "new b")]);
    expect([a, b]).toEqual(["note of a", "new b"]);
    expect(model.sent).toEqual([
      { run_id: "a", type: "get_note" },
      { run_id: "b", type: "set_note", note: "new b" },
    ]);
    model.failWith = "run 'c' is not shown here";
    await expect(notes.set("c", "x")).rejects.toThrow("not shown here");
    disposer.dispose();
    expect(model.listenerCount()).toBe(0);
  });

  it("refuses plainly without a kernel", async () => {
    const notes = kernelNotes(new FakeModel({}), new Disposer());
    await expect(notes.get("a")).rejects.toThrow("no kernel");
  });
});

describe("the run table's note panel", () => {
  it("shows the one selected run's note and saves edits for it", async () => {
    const model = new KernelModel(fixtures.runsTable());
    const disposer = new Disposer();
    const panel = selectedRunNote(model, disposer);
    el.appendChild(panel.el);
    const [first, second] = model.get("page").run_id;
    model.stored.set(first!, "# Heading\nbody");
    panel.follow([]);
    expect(panel.el.hidden).toBe(true);
    panel.follow([first!]);
    await settle();
    expect(panel.el.hidden).toBe(false);
    expect(panel.el.querySelector("h1")?.textContent).toBe("Heading");
    panel.el.querySelector<HTMLButtonElement>(".lt-note-edit")!.click();
    panel.el.querySelector<HTMLTextAreaElement>("textarea")!.value = "edited";
    panel.el.querySelector<HTMLButtonElement>(".lt-note-save")!.click();
    await settle();
    expect(model.stored.get(first!)).toBe("edited");
    panel.follow([first!, second!]);
    expect(panel.el.hidden).toBe(true);
    disposer.dispose();
  });
});

describe("compare widget notes", () => {
  it("renders each run's note sanitized and saves an edit through the kernel", async () => {
    const model = new KernelModel(fixtures.compare());
    const cleanup = compare.render({ model, el });
    const cards = el.querySelectorAll(".lt-compare-note");
    expect(cards).toHaveLength(3);
    const link = cards[0]!.querySelector("a")!;
    expect(link.getAttribute("href")).toBe("https://arxiv.org/abs/1412.6980");
    expect(link.getAttribute("target")).toBe("_blank");
    expect(cards[1]!.querySelector("script")).toBeNull();
    expect(cards[1]!.textContent).toContain("still running");
    expect(cards[2]!.textContent).toContain("No note.");
    cards[2]!.querySelector<HTMLButtonElement>(".lt-note-edit")!.click();
    cards[2]!.querySelector<HTMLTextAreaElement>("textarea")!.value = "baseline: **keep**";
    cards[2]!.querySelector<HTMLButtonElement>(".lt-note-save")!.click();
    await settle();
    expect(model.sent).toEqual([{ run_id: "d4", type: "set_note", note: "baseline: **keep**" }]);
    expect(cards[2]!.querySelector("strong")?.textContent).toBe("keep");
    cleanup();
    expect(model.listenerCount()).toBe(0);
  });
});
