// The confirmations before a change to the registry: JupyterLab's own dialog, with a small
// form for what "promote" means (a stage, or an alias such as champion).

import { Dialog, showDialog } from "@jupyterlab/apputils";
import { Widget } from "@lumino/widgets";

import { h } from "../shared/dom";
import { type Deployment, modelLabel } from "./deployments";
import { aliasProblem } from "./logic";
import type { Promotion } from "./types";

type Target = "Staging" | "Production" | "alias";

class PromoteForm extends Widget implements Dialog.IBodyWidget<Promotion> {
  private readonly choices: HTMLInputElement[];
  private readonly alias: HTMLInputElement;
  private readonly archiveExisting: HTMLInputElement;

  constructor(who: string, previous: Promotion | null, problem: string) {
    super();
    this.addClass("lt-sb-dialog");
    const initial: Target = previous?.kind === "alias" ? "alias" : (previous?.stage ?? "Production");
    const choice = (value: Target, label: string) => {
      const input = h("input", {
        attrs: { type: "radio", name: "lt-promote-target", value, checked: value === initial },
      });
      return [input, h("label", { class: "lt-sb-choice" }, [input, label])] as const;
    };
    const [staging, stagingLabel] = choice("Staging", "Stage: Staging");
    const [production, productionLabel] = choice("Production", "Stage: Production");
    const [alias, aliasLabel] = choice("alias", "Alias:");
    this.choices = [staging, production, alias];
    this.alias = h("input", {
      class: "jp-mod-styled lt-sb-alias",
      attrs: {
        type: "text",
        placeholder: "champion",
        "aria-label": "alias name",
        value: previous?.kind === "alias" ? previous.alias : "champion",
      },
    });
    this.alias.addEventListener("focus", () => (alias.checked = true));
    aliasLabel.appendChild(this.alias);
    this.archiveExisting = h("input", {
      attrs: { type: "checkbox", checked: previous?.kind === "stage" && previous.archiveExisting },
    });
    this.node.append(
      h("p", { text: `What should ${who} become?` }),
      h("fieldset", { class: "lt-sb-fieldset" }, [
        h("legend", { text: "Promote to" }),
        stagingLabel,
        productionLabel,
        aliasLabel,
      ]),
      h("label", { class: "lt-sb-choice" }, [this.archiveExisting, "Archive the versions now in that stage"]),
      problem ? h("p", { class: "lt-sb-error", text: problem, attrs: { role: "alert" } }) : "",
    );
  }

  getValue(): Promotion {
    const target = (this.choices.find((c) => c.checked)?.value ?? "Production") as Target;
    return target === "alias"
      ? { kind: "alias", alias: this.alias.value }
      : { kind: "stage", stage: target, archiveExisting: this.archiveExisting.checked };
  }
}

/** Ask what to promote `name` version `version` to; null when cancelled. An invalid alias
 * reopens the dialog with the reason. */
export async function askPromotion(name: string, version: string): Promise<Promotion | null> {
  const who = `${name} version ${version}`;
  let previous: Promotion | null = null;
  let problem = "";
  for (;;) {
    const result: Dialog.IResult<Promotion> = await showDialog({
      title: `Promote ${who}`,
      body: new PromoteForm(who, previous, problem),
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: "Promote" })],
      focusNodeSelector: "input:checked",
    });
    if (!result.button.accept || !result.value) return null;
    const chosen: Promotion = result.value;
    previous = chosen;
    problem = chosen.kind === "alias" ? aliasProblem(chosen.alias) : "";
    if (!problem) return chosen;
  }
}

export async function confirmArchive(name: string, version: string): Promise<boolean> {
  const result = await showDialog({
    title: `Archive ${name} version ${version}?`,
    body: "It moves to the Archived stage. Its files, aliases and history stay; you can promote it again later.",
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: "Archive" })],
  });
  return result.button.accept;
}

/** Confirmation before a deployment's server is stopped from the sidebar. */
export async function confirmStop(d: Deployment): Promise<boolean> {
  const result = await showDialog({
    title: `Stop deployment ${d.name}?`,
    body: `Its server (${d.url ?? `pid ${String(d.pid)}`}) stops answering requests; it serves ${modelLabel(d)}.`,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: "Stop" })],
  });
  return result.button.accept;
}
