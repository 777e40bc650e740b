import { describe, expect, it } from "vitest";

import { toFloat64 } from "../shared/buffers";
import { runColor } from "../shared/colors";
import type { GroupSeries } from "../shared/types";
import { buildGroupFigure, translucent } from "../widgets/metric_chart_groups";
import { DARK, LIGHT, XSS } from "./helpers";

// biome-ignore lint/suspicious/noExplicitAny: the tests read deep into plotly's figure objects.
type Trace = Record<string, any>;

function group(name: string, metric: string, mean: number[], low: number[], high: number[], runs = 2): GroupSeries {
  return { group: name, metric, runs, x: mean.map((_, i) => i), mean, low, high, points: mean.length };
}

const OPTIONS = { metrics: ["loss", "acc"], xAxis: "step" as const, smoothing: 0, logY: false };

describe("grouped chart figure", () => {
  const groups = [
    group("adam", "loss", [2, 3], [1, 2], [3, 4]),
    group("sgd", "loss", [9, 8], [9, 8], [9, 8], 1),
    group("adam", "acc", [0.5, 0.6], [0.4, 0.5], [0.6, 0.7]),
  ];

  it("draws each group's band (min, then max filled to it) under its mean line", () => {
    const data = buildGroupFigure(groups, OPTIONS, LIGHT).data as Trace[];
    expect(data).toHaveLength(9); // per group and metric: min, max, mean
    const bands = data.slice(0, 6);
    const lines = data.slice(6);
    expect(bands.map((t) => t.fill)).toEqual([undefined, "tonexty", undefined, "tonexty", undefined, "tonexty"]);
    expect(Array.from(toFloat64(bands[0]!.y))).toEqual([1, 2]);
    expect(Array.from(toFloat64(bands[1]!.y))).toEqual([3, 4]);
    expect(bands.every((t) => t.showlegend === false && t.hoverinfo === "skip")).toBe(true);
    expect(Array.from(toFloat64(lines[0]!.y))).toEqual([2, 3]);
    expect(lines.map((t) => t.yaxis)).toEqual(["y", "y", "y2"]);
    expect(bands.map((t) => t.yaxis)).toEqual(["y", "y", "y", "y", "y2", "y2"]);
  });

  it("colours a group by its name and names it with its run count in the legend", () => {
    const data = buildGroupFigure(groups, OPTIONS, LIGHT).data as Trace[];
    const lines = data.slice(6);
    expect(lines.map((t) => t.name)).toEqual(["adam (2 runs)", "sgd (1 run)", "adam (2 runs)"]);
    expect(lines.map((t) => t.showlegend)).toEqual([true, true, false]);
    expect(lines[0]!.line.color).toBe(runColor("adam"));
    expect(data[1]!.fillcolor).toBe(translucent(runColor("adam"), 0.18));
    expect((buildGroupFigure(groups, OPTIONS, DARK).data as Trace[])[1]!.fillcolor).toBe(
      translucent(runColor("adam"), 0.28),
    );
  });

  it("escapes a group name full of markup and draws over steps whatever the x axis", () => {
    const figure = buildGroupFigure([group(XSS, "loss", [1], [1], [1])], { ...OPTIONS, xAxis: "wall" }, LIGHT);
    const line = (figure.data as Trace[])[2]!;
    expect(line.name).not.toContain("<img");
    expect((figure.layout.xaxis as Trace).title.text).toBe("step");
  });

  it("turns a hex colour into a see-through one", () => {
    expect(translucent("#1f77b4", 0.2)).toBe("rgba(31,119,180,0.2)");
  });
});
