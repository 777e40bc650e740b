// Builds each widget's anywidget module (static/<name>.js, ESM, every dependency inside so
// notebooks work offline) and its stylesheet (static/<name>.css). `--dev`: unminified.

import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const outdir = join(root, "src", "labtrack", "widgets", "static");
export const WIDGETS = ["runs_table", "metric_chart", "scatter", "compare", "parallel", "media"];
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

await esbuild.build({
  ...common,
  entryPoints: Object.fromEntries(WIDGETS.map((w) => [w, join(here, "widgets", `${w}.ts`)])),
  format: "esm",
  ...plotlyOptions,
});

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

for (const w of [...WIDGETS, "report"]) {
  for (const ext of ["js", "css"]) {
    const file = join(outdir, `${w}.${ext}`);
    const raw = statSync(file).size;
    const gz = gzipSync(readFileSync(file)).length;
    console.log(
      `${relative(root, file).padEnd(44)} ${(raw / 1024).toFixed(1).padStart(8)} kB  gzip ${(gz / 1024).toFixed(1).padStart(7)} kB`,
    );
  }
}
