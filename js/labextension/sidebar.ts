// The left panel: a header (title, refresh, search) drawn once, and the tree below it redrawn
// from the model on every change, keeping keyboard focus on the same row.

import { Widget } from "@lumino/widgets";

import { h, replaceChildren } from "../shared/dom";
import { coalesce } from "../shared/schedule";
import type { SidebarModel } from "./model";
import { renderTree, type TreeActions } from "./view";

const SEARCH_DELAY_MS = 250;

export class SidebarPanel extends Widget {
  private readonly tree: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly refreshButton: HTMLButtonElement;
  private readonly redraw = coalesce(() => this.draw());
  private readonly unsubscribe: () => void;

  constructor(
    readonly model: SidebarModel,
    private readonly actions: TreeActions,
  ) {
    super();
    this.id = "labtrack-sidebar";
    this.addClass("lt-sidebar");
    // JupyterLab's command-mode shortcuts must not act on keys typed here.
    this.node.setAttribute("data-lm-suppress-shortcuts", "true");
    this.refreshButton = h("button", {
      class: "lt-sb-button",
      text: "Refresh",
      attrs: { type: "button", "aria-label": "refresh models and experiments" },
    });
    this.refreshButton.addEventListener("click", () => void model.refresh());
    const search = h("input", {
      class: "jp-mod-styled lt-sb-search",
      attrs: { type: "search", placeholder: "Filter by name", "aria-label": "filter models and runs by name" },
    });
    let pending: ReturnType<typeof setTimeout> | undefined;
    search.addEventListener("input", () => {
      clearTimeout(pending);
      pending = setTimeout(() => void model.setQuery(search.value.trim()), SEARCH_DELAY_MS);
    });
    this.banner = h("div", { class: "lt-sb-banner", attrs: { "aria-live": "polite" } });
    this.tree = h("div", { class: "lt-sb-body" });
    this.node.append(
      h("header", { class: "lt-sb-header" }, [h("h2", { class: "lt-sb-title", text: "labtrack" }), this.refreshButton]),
      search,
      this.banner,
      this.tree,
    );
    this.unsubscribe = model.subscribe(() => this.redraw.schedule());
    this.draw();
  }

  private draw(): void {
    const state = this.model.state;
    const focused = (document.activeElement as HTMLElement | null)?.closest?.("[data-key]")?.getAttribute("data-key");
    this.refreshButton.disabled = state.loading;
    this.refreshButton.textContent = state.loading ? "Refreshing…" : "Refresh";
    replaceChildren(this.banner, [
      state.error ? h("div", { class: "lt-sb-error", text: state.error, attrs: { role: "alert" } }) : null,
    ]);
    replaceChildren(this.tree, renderTree(state, this.actions));
    if (focused && this.node.contains(document.activeElement) === false) {
      const again = [...this.tree.querySelectorAll<HTMLElement>("[data-key]")].find(
        (e) => e.getAttribute("data-key") === focused,
      );
      again?.focus();
    }
  }

  protected override onAfterShow(): void {
    this.model.startPolling();
  }

  protected override onAfterAttach(): void {
    if (this.isVisible) this.model.startPolling();
  }

  protected override onBeforeHide(): void {
    this.model.stopPolling(); // nothing to keep fresh while the panel is closed
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.redraw.cancel();
    this.unsubscribe();
    this.model.dispose();
    super.dispose();
  }
}
