// The shareable report (lt.report / `labtrack report`): a classic script inlined in one HTML
// file with its data. It draws with the notebook widgets' own figure and table code and one
// Plotly (core + parcoords: the report's lines stay under the WebGL threshold), so the report
// and the widgets look alike and give each run the same colour. No HTML from the data: text
// goes in through textContent, notes through the Markdown sanitizer.

import Plotly, { type PlotlyElement } from "plotly.js/lib/core";
import parcoords from "plotly.js/src/traces/parcoords/strict";
import { buildLineFigure } from "../shared/chart";
import { runSwatch } from "../shared/colors";
import { h, replaceChildren } from "../shared/dom";
import { formatAbsoluteTime, formatCount } from "../shared/format";
import { renderMarkdown } from "../shared/markdown";
import { readTheme, type Theme } from "../shared/theme";
import type { Column, CompareState, Figure, Series, SortKey } from "../shared/types";
import { metricsTable, paramsTable } from "../widgets/compare_tables";
import { type Brush, brushesOf, type ParallelState, parallelFigure, runsInBrushes } from "../widgets/parallel_figure";
import { buildScatterFigure } from "../widgets/scatter_figure";
import { columnWidth, fillCell, isNumericColumn } from "../widgets/table/cells";
import { nextSort, sortOrder } from "../widgets/table/sort";
import { decodeSeries, isInlineImage } from "./data";
import type { ReportData } from "./types";

Plotly.register([parcoords]);

const DATA_ID = "labtrack-report-data";
const ROOT_ID = "labtrack-report";
const LEGEND_MAX_RUNS = 12; // more runs than this: hover names them instead of a legend
const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

type Mode = "light" | "dark";

/** The page's theme: the reader's preference first, then the toggle's choice. */
function preferredMode(): Mode {
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

/** JupyterLab's attribute, so the shared theme code (readTheme) and CSS follow it here too. */
function applyMode(mode: Mode): void {
  document.body.dataset.jpThemeLight = mode === "light" ? "true" : "false";
  document.documentElement.style.colorScheme = mode;
}

function section(id: string, title: string, children: (Node | string)[], note = ""): HTMLElement {
  return h("section", { class: "lt-report-section", attrs: { id } }, [
    h("h2", { text: title }),
    note ? h("p", { class: "lt-muted", text: note }) : null,
    ...children,
  ]);
}

interface RunTable {
  el: HTMLElement;
  /** Show only these runs' rows (null: every run), saying how many are shown. */
  only: (runIds: string[] | null, why: string) => void;
}

/** The run table: sortable by clicking a header (shift-click adds a key), as the widget's. */
export function runTable(data: ReportData): RunTable {
  const columns = data.table.columns.filter(
    (c) => c.name !== "run_id" && (c.name !== "experiment_id" || data.experiments.length > 1),
  );
  const values = data.table.data;
  const count = (values.run_id ?? []).length;
  let sort: SortKey[] = [];
  let shown: Set<string> | null = null;
  const note = h("p", { class: "lt-muted lt-report-shown", attrs: { hidden: true } });
  const head = h("tr");
  const body = h("tbody");
  const table = h("table", { class: "lt-report-table" }, [h("thead", {}, [head]), body]);

  const cell = (column: Column, row: number): HTMLTableCellElement => {
    const td = h("td", { class: isNumericColumn(column) ? "lt-num" : "" });
    const value = values[column.name]?.[row] ?? null;
    if (column.name === "run_name") {
      td.append(runSwatch(String(values.run_id[row])), h("span", { text: String(value ?? values.run_id[row]) }));
      td.title = String(values.run_id[row]);
    } else if (column.dtype === "time" && typeof value === "number") {
      td.textContent = formatAbsoluteTime(value); // "3 h ago" would age with the file
    } else {
      fillCell(td, column, value, data.generated);
    }
    return td;
  };

  const render = () => {
    replaceChildren(
      head,
      columns.map((column) => {
        const key = sort.find((k) => k.column === column.name);
        const arrow = key ? (key.descending ? " ▼" : " ▲") : "";
        const button = h("button", { class: "lt-sort", text: column.label + arrow, attrs: { type: "button" } });
        button.addEventListener("click", (event) => {
          sort = nextSort(sort, column.name, event.shiftKey);
          render();
        });
        return h(
          "th",
          {
            class: `lt-group-${column.group}`,
            title: column.name,
            attrs: { "aria-sort": key ? (key.descending ? "descending" : "ascending") : "none" },
            style: { "min-width": `${Math.min(columnWidth(column), 160)}px` },
          },
          [button],
        );
      }),
    );
    replaceChildren(
      body,
      sortOrder(values, sort, count).map((row) =>
        h(
          "tr",
          {
            attrs: {
              "data-run-id": String(values.run_id[row]),
              hidden: shown !== null && !shown.has(String(values.run_id[row])),
            },
          },
          columns.map((column) => cell(column, row)),
        ),
      ),
    );
  };
  render();
  const only = (runIds: string[] | null, why: string) => {
    shown = runIds === null ? null : new Set(runIds);
    note.hidden = runIds === null;
    note.textContent = runIds === null ? "" : `${formatCount(runIds.length)} of ${formatCount(count)} runs ${why}.`;
    render();
  };
  return { el: h("div", {}, [note, h("div", { class: "lt-table-wrap lt-report-runs" }, [table])]), only };
}

interface Plot {
  root: HTMLElement;
  figure: (theme: Theme) => Figure | null;
  /** Called once, after the first draw (to listen to Plotly's events). */
  drawn?: (root: PlotlyElement) => void;
}

function plot(
  className: string,
  figure: (theme: Theme) => Figure | null,
  plots: Plot[],
  drawn?: (root: PlotlyElement) => void,
): HTMLElement {
  const root = h("div", { class: `lt-plot ${className}` });
  plots.push({ root, figure, drawn });
  return root;
}

/** Parallel coordinates whose brushes pick the run table's rows (as lt.parallel selects runs
 * in a linked lt.runs); the brushes survive a theme switch. */
function parallelPlot(state: ParallelState, table: RunTable | null, plots: Plot[]): HTMLElement {
  let brushes: (Brush | null)[] = [];
  const onBrush = (drawn: PlotlyElement) => {
    const data = (drawn as unknown as { data?: { dimensions?: { constraintrange?: Brush }[] }[] }).data;
    brushes = brushesOf(data?.[0]?.dimensions);
    const brushed = brushes.some((b) => b !== null);
    table?.only(brushed ? runsInBrushes(state, brushes) : null, "inside the parallel coordinates' ranges");
  };
  return plot(
    "lt-report-parallel",
    (theme) => parallelFigure(state, theme, brushes),
    plots,
    (drawn) => drawn.on("plotly_restyle", () => onBrush(drawn)),
  );
}

function lineFigure(series: Series[], metric: string, theme: Theme): Figure {
  const figure = buildLineFigure(series, { metrics: [metric], xAxis: "step", smoothing: 0, logY: false }, theme);
  const runs = new Set(series.map((s) => s.run_id)).size;
  // The legend goes under the plot: beside it, long run names would squeeze the curves.
  const legend = { ...(figure.layout.legend as object), orientation: "h", x: 0, y: -0.22, yanchor: "top" };
  const showlegend = runs <= LEGEND_MAX_RUNS;
  const height = showlegend ? 340 + 22 * Math.ceil(runs / 3) : 320;
  figure.layout = { ...figure.layout, height, showlegend, legend };
  return figure;
}

function chartsSection(data: ReportData, series: Series[], plots: Plot[]): HTMLElement | null {
  const cards = data.metrics
    .map((metric) => {
      const lines = series.filter((s) => s.metric === metric);
      if (!lines.length) return null;
      const downsampled = lines.some((s) => s.total_points > s.points);
      return h("figure", { class: "lt-report-card" }, [
        h("figcaption", { text: metric }),
        plot("lt-report-chart", (theme) => lineFigure(lines, metric, theme), plots),
        downsampled ? h("p", { class: "lt-muted", text: "Downsampled for drawing; spikes and dips are kept." }) : null,
      ]);
    })
    .filter((card): card is HTMLElement => card !== null);
  if (!cards.length) return null;
  return section("metrics", "Metrics", [h("div", { class: "lt-report-grid" }, cards)]);
}

function compareSection(data: ReportData, state: CompareState, series: Series[], plots: Plot[]): HTMLElement {
  const rank = new Map(state.runs.map((r, i) => [r.run_id, i]));
  // best first, in the legend too
  const curves = series
    .filter((s) => rank.has(s.run_id) && s.metric === state.metric)
    .sort((a, b) => (rank.get(a.run_id) ?? 0) - (rank.get(b.run_id) ?? 0));
  const direction = data.lower_is_better ? "lowest" : "highest";
  return section(
    "compare",
    `Best ${state.runs.length} by ${state.metric}`,
    [
      h("div", { class: "lt-compare" }, [
        h("h3", { text: "Params (differing ones marked)" }),
        h("div", { class: "lt-table-wrap" }, [
          state.params.length ? paramsTable(state, false) : h("p", { class: "lt-muted", text: "No params." }),
        ]),
        h("h3", { text: "Metrics (best marked)" }),
        h("div", { class: "lt-table-wrap" }, [metricsTable(state)]),
        curves.length ? h("h3", { text: state.metric }) : null,
        curves.length ? plot("lt-report-chart", (theme) => lineFigure(curves, state.metric, theme), plots) : null,
      ]),
    ],
    `The runs with the ${direction} ${state.metric}.`,
  );
}

/**
 * A note as sanitized Markdown, with images that are not inlined shown by their alt text:
 * the report loads nothing (its policy would refuse it, and it must read the same offline).
 * The sanitized HTML is parsed in an inert template, so nothing is fetched before that.
 */
export function noteElement(text: string): HTMLElement {
  const template = document.createElement("template");
  template.innerHTML = renderMarkdown(text); // sanitized, images from elsewhere dropped
  const el = h("div", { class: "lt-markdown" });
  el.append(template.content);
  return el;
}

function notesSection(data: ReportData): HTMLElement | null {
  if (!data.notes.length) return null;
  return section(
    "notes",
    "Notes",
    data.notes.map((note) =>
      h("article", { class: "lt-report-note" }, [
        h("h3", {}, [runSwatch(note.run_id), h("span", { text: note.run_name || note.run_id })]),
        noteElement(note.note),
      ]),
    ),
  );
}

function imagesSection(data: ReportData): HTMLElement | null {
  const images = data.images.filter((image) => isInlineImage(image.src));
  if (!images.length) return null;
  return section(
    "images",
    "Images",
    [
      h(
        "div",
        { class: "lt-report-images" },
        images.map((image) =>
          h("figure", { class: "lt-report-image" }, [
            h("img", {
              attrs: {
                src: image.src,
                width: image.width,
                height: image.height,
                alt: `${image.key}, step ${image.step}, of ${image.run_name}`,
              },
            }),
            h("figcaption", {}, [
              runSwatch(image.run_id),
              h("span", { text: `${image.run_name} · ${image.key} · step ${image.step}` }),
            ]),
          ]),
        ),
      ),
    ],
    "The latest step of each image key of the best runs.",
  );
}

function header(data: ReportData, onToggle: () => void): HTMLElement {
  const runs = (data.table.data.run_id ?? []).length;
  const toggle = h("button", {
    class: "lt-button lt-theme-toggle",
    text: "Dark / light",
    attrs: { type: "button", "aria-label": "switch between the dark and the light theme" },
  });
  toggle.addEventListener("click", onToggle);
  const facts = [
    `${formatCount(runs)} run${runs === 1 ? "" : "s"}`,
    `experiment${data.experiments.length === 1 ? "" : "s"} ${data.experiments.join(", ")}`,
    data.filter ? `filter: ${data.filter}` : "",
    `generated ${formatAbsoluteTime(data.generated)}`,
  ].filter(Boolean);
  return h("header", { class: "lt-report-header" }, [
    h("div", {}, [h("h1", { text: data.title }), h("p", { class: "lt-muted", text: facts.join(" · ") })]),
    toggle,
  ]);
}

function drawAll(plots: Plot[]): void {
  const theme = readTheme(document.body);
  for (const plot of plots) {
    const built = plot.figure(theme);
    if (!built) {
      plot.root.hidden = true;
      continue;
    }
    Plotly.react(plot.root, built.data, built.layout, CONFIG)
      .then((drawn) => {
        plot.drawn?.(drawn); // Plotly keeps handlers across react(): attach once
        plot.drawn = undefined;
      })
      .catch((error: unknown) => console.error("labtrack report: drawing a figure failed", error));
  }
}

/** Build the report into `root` from `data`; returns the function that redraws for the theme. */
export function renderReport(root: HTMLElement, data: ReportData): () => void {
  const plots: Plot[] = [];
  const series = data.series.map(decodeSeries);
  let mode: Mode = preferredMode();
  applyMode(mode);
  const redraw = () => drawAll(plots);
  const runs = (data.table.data.run_id ?? []).length;
  const { scatter, parallel, compare } = data;
  const table = runs ? runTable(data) : null;
  const sections = [
    section("runs", "Runs", table ? [table.el] : [h("p", { class: "lt-muted", text: "No runs match." })]),
    chartsSection(data, series, plots),
    scatter
      ? section("scatter", `${scatter.y} vs ${scatter.x}`, [
          plot("lt-report-scatter", (theme) => buildScatterFigure(scatter, theme), plots),
        ])
      : null,
    parallel
      ? section(
          "parallel",
          "Parallel coordinates",
          [parallelPlot(parallel, table, plots)],
          `Each run is a line through its params to ${parallel.metric}; drag along an axis to show only ` +
            "the runs in that range in the table above.",
        )
      : null,
    compare ? compareSection(data, compare, series, plots) : null,
    notesSection(data),
    imagesSection(data),
  ];
  replaceChildren(root, [
    h("div", { class: "lt-widget lt-report" }, [
      header(data, () => {
        mode = mode === "dark" ? "light" : "dark";
        applyMode(mode);
        redraw();
      }),
      h("main", {}, sections),
    ]),
  ]);
  redraw();
  window.matchMedia?.("(prefers-color-scheme: dark)").addEventListener?.("change", (event) => {
    mode = event.matches ? "dark" : "light";
    applyMode(mode);
    redraw();
  });
  return redraw;
}

function main(): void {
  const source = document.getElementById(DATA_ID);
  const root = document.getElementById(ROOT_ID);
  if (!source || !root) return;
  renderReport(root, JSON.parse(source.textContent ?? "{}") as ReportData);
}

if (typeof document !== "undefined" && document.getElementById(DATA_ID)) {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
  else main();
}
