// The one Plotly every chart widget bundles: core (scatter included) plus the two traces we
// draw, instead of the 4.7 MB full build (anywidget ships the module with every widget).

import type { PlotlyElement } from "plotly.js/lib/core";
import Plotly from "plotly.js/lib/core";
import parcoords from "plotly.js/lib/parcoords";
import scattergl from "plotly.js/lib/scattergl";

import type { Disposer } from "./model";
import type { Figure } from "./types";

Plotly.register([scattergl, parcoords]);

export type { PlotlyElement };

const CONFIG = {
  displaylogo: false,
  responsive: false, // we resize on the element (below), which also catches sidebar toggles
  modeBarButtonsToRemove: ["lasso2d", "select2d", "toImage"],
  scrollZoom: false,
};

/** A Plotly root in `parent` that follows its size and is purged by `disposer`. */
export function plotRoot(parent: HTMLElement, disposer: Disposer, className = "lt-plot"): PlotlyElement {
  const root = document.createElement("div") as unknown as PlotlyElement;
  root.className = className;
  parent.appendChild(root);
  if (typeof ResizeObserver !== "undefined") {
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        if (root.isConnected && root.querySelector(".main-svg")) void Plotly.Plots.resize(root);
      });
    });
    observer.observe(root);
    disposer.add(() => {
      cancelAnimationFrame(frame);
      observer.disconnect();
    });
  }
  disposer.add(() => Plotly.purge(root));
  return root;
}

export function draw(root: HTMLElement, figure: Figure): Promise<PlotlyElement> {
  return Plotly.react(root, figure.data, figure.layout, CONFIG);
}

export { Plotly };
