// The extension provides the chart widgets' Plotly (js/shared/plotly.ts): the build copies the
// one module they draw with (static/plotly.<hash>.js of the widgets' build) into this
// extension's static assets, loaded on a widget's first use and then shared by every widget
// of the page. The kernel then never sends Plotly (labtrack.widgets._plotly).

import type { PlotlyStatic } from "../shared/plotly";

// Set by js/build_labextension.mjs; webpack sets its public path: this extension's static URL.
declare const __LABTRACK_PLOTLY_FILE__: string;
declare const __webpack_public_path__: string;

/** Set `window.labtrackPlotly`, the loader the widgets look for before asking the kernel. */
export function providePlotly(): void {
  let loading: Promise<PlotlyStatic> | null = null;
  window.labtrackPlotly = () => {
    if (!loading) {
      const url = `${__webpack_public_path__}${__LABTRACK_PLOTLY_FILE__}`;
      loading = import(/* webpackIgnore: true */ url).then((module: { default: PlotlyStatic }) => module.default);
      // A failed load (server gone for a moment) is tried again by the next widget.
      loading.catch(() => {
        loading = null;
      });
    }
    return loading;
  };
}
