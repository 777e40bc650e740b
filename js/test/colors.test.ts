import { describe, expect, it } from "vitest";

import { buildLineFigure } from "../shared/chart";
import { hashString, runColor } from "../shared/colors";
import { COLORWAY } from "../shared/theme";
import type { Series } from "../shared/types";
import { paramsTable } from "../widgets/compare_tables";
import runsTable from "../widgets/runs_table";
import { buildScatterFigure } from "../widgets/scatter_figure";
import { FakeModel, fixtures, LIGHT } from "./helpers";

function series(runId: string, metric = "loss"): Series {
  return {
    run_id: runId,
    run_name: runId,
    metric,
    x: [0, 1],
    y: [1, 0.5],
    points: 2,
    total_points: 2,
  } as unknown as Series;
}

function colourOf(figure: { data: Record<string, unknown>[] }, runId: string): string {
  const trace = figure.data.find((t) => t.legendgroup === runId);
  if (!trace) throw new Error(`no trace for ${runId}`);
  return (trace.line as { color: string }).color;
}

describe("runColor", () => {
  it("is a deterministic FNV-1a hash into the colorway", () => {
    expect(hashString("")).toBe(0x811c9dc5);
    expect(hashString("a")).toBe(0xe40c292c); // FNV-1a's published value for "a"
    expect(runColor("abc")).toBe(runColor("abc"));
    expect(COLORWAY).toContain(runColor("0f3e2a9c1b7d4e5f8a6b3c2d1e0f9a8b"));
  });

  it("spreads run ids over the whole palette", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(runColor(`run-${i}`));
    expect(seen.size).toBe(COLORWAY.length);
  });

  it("takes another palette, and refuses an empty one", () => {
    expect(["#000", "#fff"]).toContain(runColor("x", ["#000", "#fff"]));
    expect(() => runColor("x", [])).toThrow(/palette/);
  });
});

describe("one run, one colour in every chart", () => {
  it("does not depend on which other runs a figure draws, nor their order", () => {
    // The live chart drew runs (b, a); the comparison drew (a, b): by order they swapped colours.
    const [a, b] = ["2b9c61f0", "e1d07a3c"];
    const chart = buildLineFigure(
      [series(b), series(a)],
      { metrics: ["loss"], xAxis: "step", smoothing: 0, logY: false },
      LIGHT,
    );
    const compare = buildLineFigure(
      [series(a), series(b)],
      { metrics: ["loss"], xAxis: "step", smoothing: 0, logY: false },
      LIGHT,
    );
    expect(colourOf(chart, a)).toBe(colourOf(compare, a));
    expect(colourOf(chart, b)).toBe(colourOf(compare, b));
    expect(colourOf(chart, a)).toBe(runColor(a));
  });
});

describe("every widget shows a run in its runColor", () => {
  it("scatter: each point in its run's colour; a category in its name's colour", () => {
    const state = { ...fixtures.scatter(), color: "" };
    const trace = buildScatterFigure(state, LIGHT).data[0] as { marker: { color: string[] } };
    expect(trace.marker.color).toEqual(state.points.run_id.map((id) => runColor(id)));
    const byCategory = buildScatterFigure(
      {
        ...fixtures.scatter(),
        color: "params.optimizer",
        points: { ...state.points, color: ["adam", "sgd", "adam", "sgd"].slice(0, state.points.run_id.length) },
      },
      LIGHT,
    ).data as { name: string; marker: { color: string } }[];
    for (const trace of byCategory) expect(trace.marker.color).toBe(runColor(trace.name));
  });

  it("compare: a swatch of the run's colour beside each run's name", () => {
    const state = fixtures.compare();
    const swatches = Array.from(paramsTable(state, false).querySelectorAll<HTMLElement>("thead .lt-swatch"));
    expect(swatches.map((s) => s.dataset.color)).toEqual(state.runs.map((r) => runColor(r.run_id)));
  });

  it("runs table: a swatch of the run's colour at the start of each row", () => {
    const el = document.createElement("div");
    document.body.appendChild(el);
    const state = fixtures.runsTable();
    const stop = runsTable.render({ model: new FakeModel(state), el });
    const rows = Array.from(el.querySelectorAll<HTMLElement>(".lt-tr"));
    expect(rows.length).toBe(state.page.run_id.length);
    for (const row of rows) {
      const id = state.page.run_id[Number(row.dataset.index)]!;
      expect(row.querySelector<HTMLElement>(".lt-td .lt-swatch")!.dataset.color).toBe(runColor(id));
    }
    stop();
    el.remove();
  });
});
