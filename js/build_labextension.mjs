// Builds the JupyterLab sidebar as a prebuilt extension (src/labtrack/labextension, shipped in
// the wheel as share/jupyter/labextensions/labtrack). Two steps: esbuild compiles js/labextension
// (TypeScript, with js/shared inside) to one ES module that leaves JupyterLab's packages as
// imports; then @jupyterlab/builder links those to the running JupyterLab's shared copies.
// The builder reads JupyterLab's core metadata from @jupyterlab/core-meta: no jupyterlab Python
// package and no network needed. `--dev`: unminified, with source maps.
// The widgets' Plotly (static/plotly.<hash>.js of js/build.mjs, which runs first) is copied into
// the extension's static assets, where its loader (js/labextension/plotly.ts) finds it.

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const dev = process.argv.includes("--dev");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const require = createRequire(import.meta.url);
const widgetsStatic = join(root, "src", "labtrack", "widgets", "static");
const plotlyFile = JSON.parse(readFileSync(join(widgetsStatic, "manifest.json"), "utf8")).plotly;

rmSync(join(here, "labextension", "lib"), { recursive: true, force: true });
await esbuild.build({
  entryPoints: [join(here, "labextension", "index.ts")],
  outfile: join(root, pkg.main),
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: false, // webpack minifies the final bundle
  sourcemap: dev ? "inline" : false,
  logLevel: "warning",
  external: ["@jupyterlab/*", "@lumino/*", "react", "react-dom"],
  define: { __LABTRACK_PLOTLY_FILE__: JSON.stringify(plotlyFile) },
});

// The builder wants a directory whose package.json is JupyterLab's core package.json.
const core = mkdtempSync(join(tmpdir(), "labtrack-core-meta-"));
copyFileSync(require.resolve("@jupyterlab/core-meta/core.package.json"), join(core, "package.json"));
rmSync(join(root, pkg.jupyterlab.outputDir), { recursive: true, force: true });
const builder = require.resolve("@jupyterlab/builder/lib/build-labextension.js");
const result = spawnSync(process.execPath, [builder, "--core-path", core, ...(dev ? ["--development"] : []), root], {
  stdio: "inherit",
});
rmSync(core, { recursive: true, force: true });
if (result.status !== 0) process.exit(result.status ?? 1);
copyFileSync(join(widgetsStatic, plotlyFile), join(root, pkg.jupyterlab.outputDir, "static", plotlyFile));
console.log(`${pkg.jupyterlab.outputDir} (JupyterLab extension "${pkg.name}")`);
