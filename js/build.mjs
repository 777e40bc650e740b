// Builds each widget's anywidget module (static/<name>.js, ESM) and its stylesheet
// (static/<name>.css), and Plotly once (static/plotly.<hash>.js), which the chart widgets'
// modules leave out: the JupyterLab extension serves it, and elsewhere the kernel sends its
// source once (labtrack.widgets._plotly). static/manifest.json names that file and the widgets
// that need it. `--dev`: unminified.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const outdir = join(root, "src", "labtrack", "widgets", "static");
export const WIDGETS = [
  "runs_table",
  "metric_chart",
  "scatter",
  "compare",
  "parallel",
  "media",
  "pipeline_view",
  "monitor",
];
const dev = process.argv.includes("--dev");

// plotly's registry `require`s maplibre's stylesheet for map traces, which we never register:
// resolve it to nothing instead of emitting a 65 kB CSS file beside each bundle.
const noMapCss = {
  name: "no-map-css",
  setup(build) {
    build.onResolve({ filter: /^maplibre-gl\/dist\/maplibre-gl\.css$/ }, () => ({
      path: "maplibre-gl.css",
      namespace: "empty",
    }));
    build.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "", loader: "js" }));
  },
};

const common = {
  bundle: true,
  minify: !dev,
  sourcemap: dev ? "inline" : false,
  legalComments: dev ? "inline" : "eof", // keep bundled libraries' licence notices
  logLevel: "warning",
  outdir,
};

const plotlyOptions = {
  target: "es2020",
  plugins: [noMapCss],
  define: { global: "window", "define.amd": "false" }, // plotly's deps expect browserify globals
  alias: {
    regl: "@plotly/regl", // one regl for plotly and gl-text, as plotly's own build does
    buffer: join(here, "shims", "buffer.js"),
  },
};

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

// The widgets reach Plotly only through shared/plotly.ts, whose imports of it are type-only: a
// widget module that still pulled Plotly in would fail the check below.
const widgets = await esbuild.build({
  ...common,
  entryPoints: Object.fromEntries(WIDGETS.map((w) => [w, join(here, "widgets", `${w}.ts`)])),
  format: "esm",
  target: "es2020",
  metafile: true,
});
const plotlyUsers = [];
for (const [file, output] of Object.entries(widgets.metafile.outputs)) {
  const inputs = Object.keys(output.inputs);
  const name = file.split("/").pop().replace(/\.js$/, "");
  if (inputs.some((input) => input.includes("node_modules/plotly.js/"))) {
    throw new Error(`${file} bundles Plotly: import it only through js/shared/plotly.ts`);
  }
  if (inputs.some((input) => input.endsWith("js/shared/plotly.ts"))) plotlyUsers.push(name);
}

await esbuild.build({
  ...common,
  entryPoints: { plotly: join(here, "shared", "plotly_lib.ts") },
  format: "esm",
  ...plotlyOptions,
});
// A content hash in the name: pages and the extension's server never use a stale copy.
const plotlySource = readFileSync(join(outdir, "plotly.js"));
const plotlyFile = `plotly.${createHash("sha256").update(plotlySource).digest("hex").slice(0, 12)}.js`;
writeFileSync(join(outdir, plotlyFile), plotlySource);
// What the kernel's PlotlyProvider sends (base64 of this): a third of the size, in the channel
// and in a saved notebook; pages inflate it with the browser's DecompressionStream.
writeFileSync(join(outdir, `${plotlyFile}.gz`), gzipSync(plotlySource, { level: 9 }));
rmSync(join(outdir, "plotly.js"));
writeFileSync(
  join(outdir, "manifest.json"),
  `${JSON.stringify({ plotly: plotlyFile, plotly_widgets: plotlyUsers.sort() }, null, 2)}\n`,
);

await esbuild.build({
  ...common,
  entryPoints: Object.fromEntries(WIDGETS.map((w) => [w, join(here, "widgets", `${w}.css`)])),
});

// The shareable report (lt.report): a classic script (IIFE) and its stylesheet, which Python
// inlines once into each self-contained HTML file (file:// pages need no module loading).
await esbuild.build({
  ...common,
  entryPoints: { report: join(here, "report", "report.ts") },
  format: "iife",
  ...plotlyOptions,
});
await esbuild.build({ ...common, entryPoints: { report: join(here, "report", "report.css") } });

const built = [...WIDGETS, "report"].flatMap((w) => [`${w}.js`, `${w}.css`]);
for (const name of [...built, plotlyFile, `${plotlyFile}.gz`]) {
  {
    const file = join(outdir, name);
    const raw = statSync(file).size;
    const gz = gzipSync(readFileSync(file)).length;
    console.log(
      `${relative(root, file).padEnd(44)} ${(raw / 1024).toFixed(1).padStart(8)} kB  gzip ${(gz / 1024).toFixed(1).padStart(7)} kB`,
    );
  }
}
