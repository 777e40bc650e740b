// The part of plotly.js's API the widgets call (plotly.js ships no types; @types/plotly.js
// describes the dist bundles, not lib/core).

declare module "plotly.js/lib/core" {
  export interface PlotlyElement extends HTMLElement {
    on<T = unknown>(event: string, handler: (data: T) => void): void;
    removeAllListeners?(event?: string): void;
  }
  interface PlotlyStatic {
    register(modules: unknown[]): void;
    react(root: HTMLElement, data: object[], layout: object, config?: object): Promise<PlotlyElement>;
    purge(root: HTMLElement): void;
    Plots: { resize(root: HTMLElement): Promise<void> | void };
  }
  const Plotly: PlotlyStatic;
  export default Plotly;
}

declare module "plotly.js/lib/scattergl" {
  const trace: unknown;
  export default trace;
}

declare module "plotly.js/lib/parcoords" {
  const trace: unknown;
  export default trace;
}
