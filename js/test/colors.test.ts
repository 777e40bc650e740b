import { describe, expect, it } from "vitest";

import { buildLineFigure } from "../shared/chart";
import { hashString, runColor } from "../shared/colors";
import { COLORWAY, type Theme } from "../shared/theme";
import type { Series } from "../shared/types";

const THEME: Theme = {
  dark: false,
  font: "sans-serif",
  fontSize: 12,
  text: "#000",
  muted: "#666",
  background: "#fff",
  grid: "#eee",
  border: "#ccc",
  accent: "#00f",
};

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
      THEME,
    );
    const compare = buildLineFigure(
      [series(a), series(b)],
      { metrics: ["loss"], xAxis: "step", smoothing: 0, logY: false },
      THEME,
    );
    expect(colourOf(chart, a)).toBe(colourOf(compare, a));
    expect(colourOf(chart, b)).toBe(colourOf(compare, b));
    expect(colourOf(chart, a)).toBe(runColor(a));
  });
});
