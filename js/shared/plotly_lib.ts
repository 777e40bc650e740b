// The one Plotly the chart widgets draw with: core (scatter included) plus the two traces we
// draw, instead of the 4.7 MB full build. Built alone as static/plotly.<hash>.js: the
// JupyterLab extension serves it from its static assets, and elsewhere the kernel's
// PlotlyProvider widget carries its source once per kernel (labtrack.widgets._plotly).

import Plotly from "plotly.js/lib/core";
import parcoords from "plotly.js/lib/parcoords";
import scattergl from "plotly.js/lib/scattergl";

Plotly.register([scattergl, parcoords]);

export default Plotly;
