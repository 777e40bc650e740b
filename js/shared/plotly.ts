// How the chart widgets get Plotly. Their bundles leave it out (1.4 MB each, sent and saved per
// widget); a page gets it once: from the JupyterLab extension's static assets where it is
// installed (window.labtrackPlotly), else from the kernel-wide PlotlyProvider widget whose
// `source_gzip` trait carries the module (gzip, base64), evaluated once and kept on window.

import type { PlotlyElement } from "plotly.js/lib/core";
import type { Disposer } from "./model";
import type PlotlyModule from "./plotly_lib";
import type { Figure } from "./types";

export type { PlotlyElement };
export type PlotlyStatic = typeof PlotlyModule;

/** The slice of a widget model that reaches the provider: its reference and the manager. */
export interface ProviderHost {
  get(key: "_plotly"): unknown;
  widget_manager: { get_model(id: string): Promise<ProviderModel> };
}

/** The PlotlyProvider's model (a plain ipywidgets model). */
export interface ProviderModel {
  get(key: "source_gzip"): string;
  on(event: string, callback: () => void): void;
  off(event: string, callback: () => void): void;
  send(content: { type: "need" }): void;
}

declare global {
  interface Window {
    /** Set by the labtrack JupyterLab extension: loads Plotly from its static assets. */
    labtrackPlotly?: () => Promise<PlotlyStatic>;
    /** Plotly evaluated from a provider's source, once per page. */
    labtrackPlotlyFromProvider?: Promise<PlotlyStatic>;
  }
}

const CONFIG = {
  displaylogo: false,
  responsive: false, // we resize on the element (below), which also catches sidebar toggles
  modeBarButtonsToRemove: ["lasso2d", "select2d", "toImage"],
  scrollZoom: false,
};

// How long a page without the extension waits for the kernel to send the source (a notebook
// restored from saved widget state with no kernel never gets an answer).
const PROVIDER_TIMEOUT_MS = 60_000;

/** Plotly for a widget whose model references the provider (`_plotly`, "IPY_MODEL_<id>"). */
export function loadPlotly(host: ProviderHost): Promise<PlotlyStatic> {
  if (window.labtrackPlotly) return window.labtrackPlotly();
  if (!window.labtrackPlotlyFromProvider) {
    const loading = fromProvider(host);
    window.labtrackPlotlyFromProvider = loading;
    // A failed load (no kernel yet) may succeed from the next widget: do not keep the failure.
    loading.catch(() => {
      if (window.labtrackPlotlyFromProvider === loading) window.labtrackPlotlyFromProvider = undefined;
    });
  }
  return window.labtrackPlotlyFromProvider;
}

async function fromProvider(host: ProviderHost): Promise<PlotlyStatic> {
  const ref = host.get("_plotly");
  if (typeof ref !== "string" || !ref.startsWith("IPY_MODEL_")) {
    throw new Error("labtrack: this widget has no Plotly provider and no labtrack JupyterLab extension");
  }
  const provider = await host.widget_manager.get_model(ref.slice("IPY_MODEL_".length));
  const packed = provider.get("source_gzip") || (await askForSource(provider));
  const url = URL.createObjectURL(new Blob([await inflate(packed)], { type: "text/javascript" }));
  try {
    return ((await import(/* webpackIgnore: true */ /* @vite-ignore */ url)) as { default: PlotlyStatic }).default;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The module's text from base64 of its gzip. */
async function inflate(base64: string): Promise<string> {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
}

/** The kernel leaves `source_gzip` empty where the extension should provide Plotly: ask for it. */
function askForSource(provider: ProviderModel): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      provider.off("change:source_gzip", changed);
      reject(new Error("labtrack: the kernel did not send Plotly (is it running?)"));
    }, PROVIDER_TIMEOUT_MS);
    const changed = () => {
      if (!provider.get("source_gzip")) return;
      clearTimeout(timer);
      provider.off("change:source_gzip", changed);
      resolve(provider.get("source_gzip"));
    };
    provider.on("change:source_gzip", changed);
    provider.send({ type: "need" });
  });
}

const plotlyOf = new WeakMap<HTMLElement, Promise<PlotlyStatic>>();

/** A Plotly root in `parent` that follows its size and is purged by `disposer`; `host` (the
 * widget's model) says where Plotly comes from. */
export function plotRoot(parent: HTMLElement, disposer: Disposer, host: object, className = "lt-plot"): PlotlyElement {
  const root = document.createElement("div") as unknown as PlotlyElement;
  root.className = className;
  parent.appendChild(root);
  const plotly = loadPlotly(host as ProviderHost);
  plotlyOf.set(root, plotly);
  if (typeof ResizeObserver !== "undefined") {
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        if (root.isConnected && root.querySelector(".main-svg")) void plotly.then((P) => P.Plots.resize(root));
      });
    });
    observer.observe(root);
    disposer.add(() => {
      cancelAnimationFrame(frame);
      observer.disconnect();
    });
  }
  disposer.add(() => void plotly.then((P) => P.purge(root)).catch(() => {}));
  return root;
}

/** Draw `figure` into a root made by plotRoot, once Plotly is there. */
export async function draw(root: HTMLElement, figure: Figure): Promise<PlotlyElement> {
  const plotly = plotlyOf.get(root);
  if (!plotly) throw new Error("labtrack: draw() needs a root made by plotRoot()");
  return (await plotly).react(root, figure.data, figure.layout, CONFIG);
}
