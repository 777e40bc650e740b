// A run's note (MLflow's description, the tag mlflow.note.content): shown as sanitized
// Markdown, edited in a textarea. The widgets read and write it through the kernel
// (src/labtrack/widgets/notes.py's messages); the sidebar through its REST route.

import { h, replaceChildren } from "./dom";
import { markdownElement } from "./markdown";
import type { Disposer } from "./model";

/** Reads and writes notes; `set` resolves with the note as stored. */
export interface NoteStore {
  get(runId: string): Promise<string>;
  set(runId: string, note: string): Promise<string>;
}

/** The slice of anywidget's model that custom messages use. */
interface MessageModel {
  send(content: object): void;
  on(event: string, callback: (message: unknown) => void): void;
  off(event: string, callback: (message: unknown) => void): void;
}

interface NoteReply {
  type?: string;
  run_id?: string;
  note?: string;
  message?: string;
}

/** Notes through the kernel: a request per call, answered in order for each run. */
export function kernelNotes(model: unknown, disposer: Disposer): NoteStore {
  const channel = model as MessageModel;
  const waiting = new Map<string, { resolve: (note: string) => void; reject: (error: Error) => void }[]>();
  const onMessage = (message: unknown) => {
    const reply = message as NoteReply;
    if ((reply.type !== "note" && reply.type !== "note_error") || typeof reply.run_id !== "string") return;
    const next = waiting.get(reply.run_id)?.shift();
    if (!next) return;
    if (reply.type === "note") next.resolve(reply.note ?? "");
    else next.reject(new Error(reply.message || "the note could not be saved"));
  };
  channel.on("msg:custom", onMessage);
  disposer.add(() => channel.off("msg:custom", onMessage));
  const ask = (runId: string, content: object) =>
    new Promise<string>((resolve, reject) => {
      if (typeof channel.send !== "function") {
        reject(new Error("no kernel to ask (the notebook is not running)"));
        return;
      }
      const queue = waiting.get(runId) ?? [];
      queue.push({ resolve, reject });
      waiting.set(runId, queue);
      channel.send({ run_id: runId, ...content });
    });
  return {
    get: (runId) => ask(runId, { type: "get_note" }),
    set: (runId, note) => ask(runId, { type: "set_note", note }),
  };
}

export interface NoteEditor {
  el: HTMLElement;
  /** Show `note` (rendered); leaves an edit in progress alone. */
  show(note: string): void;
}

/**
 * A note rendered as Markdown with an Edit button; editing swaps in a textarea with Save and
 * Cancel (Ctrl/Cmd+Enter saves, Escape cancels). `save` writes the text and resolves with the
 * note as stored, which is then shown; a failure is shown beside the buttons.
 */
export function noteEditor(
  save: (text: string) => Promise<string>,
  disposer: Disposer,
  what = "note",
  buttonClass = "lt-button", // the sidebar passes its own button style
): NoteEditor {
  let note = "";
  let editing = false;
  const view = h("div", { class: "lt-note-view" });
  const edit = h("button", { class: `${buttonClass} lt-note-edit`, text: "Edit note", attrs: { type: "button" } });
  const input = h("textarea", {
    class: "lt-note-input",
    attrs: {
      rows: 5,
      spellcheck: "true",
      "aria-label": what,
      placeholder: "Markdown: **bold**, lists, [links](https://…)",
    },
  });
  const saveButton = h("button", { class: `${buttonClass} lt-note-save`, text: "Save", attrs: { type: "button" } });
  const cancel = h("button", { class: buttonClass, text: "Cancel", attrs: { type: "button" } });
  const status = h("span", { class: "lt-note-status", attrs: { role: "status" } });
  const form = h("div", { class: "lt-note-form" }, [input, h("div", {}, [saveButton, cancel, status])]);
  const el = h("div", { class: "lt-note" }, [view, edit, form]);

  const render = () => {
    replaceChildren(view, [note.trim() ? markdownElement(note) : h("span", { class: "lt-muted", text: "No note." })]);
    view.hidden = editing;
    edit.hidden = editing;
    form.hidden = !editing;
  };
  const open = () => {
    editing = true;
    input.value = note;
    status.textContent = "";
    render();
    input.focus();
  };
  const close = () => {
    editing = false;
    render();
  };
  const submit = async () => {
    saveButton.disabled = true;
    status.textContent = "Saving…";
    try {
      note = await save(input.value);
      close();
    } catch (error) {
      status.textContent = error instanceof Error ? error.message : String(error);
    } finally {
      saveButton.disabled = false;
    }
  };
  disposer.listen(edit, "click", open);
  disposer.listen(cancel, "click", close);
  disposer.listen(saveButton, "click", () => void submit());
  disposer.listen<KeyboardEvent>(input, "keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) void submit();
    else if (event.key === "Escape") close();
    else return;
    event.preventDefault();
    event.stopPropagation();
  });
  render();
  return {
    el,
    show(next: string) {
      note = next;
      if (!editing) render();
    },
  };
}

export interface SelectedRunNote {
  el: HTMLElement;
  /** Show the note of the one selected run (fetched from the kernel); hidden otherwise. */
  follow(selected: string[]): void;
}

/** The run table's note panel: the selected run's note below the rows, editable in place. */
export function selectedRunNote(model: unknown, disposer: Disposer): SelectedRunNote {
  const notes = kernelNotes(model, disposer);
  let current: string | null = null;
  const title = h("div", { class: "lt-run-note-title" });
  const editor = noteEditor((text) => notes.set(current ?? "", text), disposer);
  const el = h("div", { class: "lt-run-note" }, [title, editor.el]);
  el.hidden = true;
  const nameOf = (runId: string): string => {
    const data = (model as { get(key: string): unknown }).get("data") as Record<string, unknown[]> | undefined;
    const index = data?.run_id?.indexOf(runId) ?? -1;
    const name = index >= 0 ? data?.run_name?.[index] : null;
    return typeof name === "string" && name ? name : runId;
  };
  return {
    el,
    follow(selected) {
      const runId = selected.length === 1 ? (selected[0] ?? null) : null;
      el.hidden = runId === null;
      if (runId === current) return;
      current = runId;
      if (runId === null) return;
      title.textContent = `Note · ${nameOf(runId)}`;
      editor.show("");
      notes
        .get(runId)
        .then((note) => {
          if (current === runId) editor.show(note);
        })
        .catch((error: unknown) => console.error("labtrack: reading the run's note failed", error));
    },
  };
}
