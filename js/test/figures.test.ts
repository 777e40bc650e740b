import { describe, expect, it } from "vitest";

import { buildLineFigure, downsampleNote, GL_THRESHOLD, metricOrder } from "../shared/chart";
import { runColor } from "../shared/colors";
import type { Series } from "../shared/types";
import { buildParcoordsFigure, paramDimension } from "../widgets/compare_figure";
import { metricsTable, paramsTable } from "../widgets/compare_tables";
import { buildScatterFigure, colorMode, toggleRun } from "../widgets/scatter_figure";
import { DARK, fixtures, LIGHT, XSS } from "./helpers";

// biome-ignore lint/suspicious/noExplicitAny: the tests read deep into plotly's figure objects, which have no types.
type Trace = Record<string, any>;
const ESCAPED = "&lt;img src=x onerror=alert(1)&gt;";

function chartFigure(
  overrides: Partial<{ smoothing: number; logY: boolean; xAxis: "step" | "relative" | "wall" }> = {},
) {
  const state = fixtures.metricChart();
  return buildLineFigure(
    state.series,
    { metrics: state.metrics, xAxis: "step", smoothing: 0, logY: false, ...overrides },
    LIGHT,
  );
}

describe("metric chart figure", () => {
  it("draws one line per series, a subplot per metric, each run once in the legend", () => {
    const { data, layout } = chartFigure();
    const traces = data as Trace[];
    expect(traces).toHaveLength(3);
    expect(traces.map((t) => t.yaxis)).toEqual(["y", "y", "y2"]);
    expect(traces.map((t) => t.showlegend)).toEqual([true, true, false]);
    expect(traces[0]!.line.color).toBe(traces[2]!.line.color); // same run, same colour
    expect(traces[1]!.line.color).toBe(runColor(traces[1]!.legendgroup)); // by id, not by order
    expect(layout.grid).toMatchObject({ rows: 2, columns: 1 });
    expect((layout.yaxis as Trace).title.text).toBe("loss");
    expect((layout.yaxis2 as Trace).title.text).toBe("val_acc");
    expect((layout.xaxis as Trace).title.text).toBe("step");
  });

  it("decodes the float64 buffers, NaN kept as a gap", () => {
    const [first] = chartFigure().data as Trace[];
    expect(Array.from(first!.x)).toEqual([0, 1, 2, 3, 4]);
    expect(first!.y[2]).toBeNaN();
    expect(first!.y[4]).toBeCloseTo(0.45);
  });

  it("escapes run names for Plotly and keeps user text out of the hover template", () => {
    const traces = chartFigure().data as Trace[];
    expect(traces[1]!.name).toBe(ESCAPED);
    for (const trace of traces) {
      expect(trace.hovertemplate).not.toContain("img");
      expect(trace.hovertemplate).toContain("%{fullData.name}");
    }
  });

  it("notes downsampled series in the hover and in a footnote", () => {
    const state = fixtures.metricChart();
    const traces = chartFigure().data as Trace[];
    expect(traces[1]!.meta[1]).toContain("downsampled from 12,000 points");
    expect(traces[0]!.meta[1]).toBe("");
    expect(downsampleNote(state.series)).toContain("1 of 3 curves");
    expect(downsampleNote(state.series.slice(0, 1))).toBe("");
  });

  it("draws the raw line faint and the smoothed line solid when smoothing", () => {
    const traces = chartFigure({ smoothing: 0.6 }).data as Trace[];
    expect(traces).toHaveLength(6);
    const [raw, smooth] = traces;
    expect(raw!.opacity).toBeLessThan(0.5);
    expect(raw!.showlegend).toBe(false);
    expect(raw!.hoverinfo).toBe("skip");
    expect(smooth!.opacity).toBeUndefined();
    expect(smooth!.y[1]).not.toBeCloseTo(raw!.y[1]);
    expect(smooth!.y[2]).toBeNaN();
  });

  it("switches log y, the wall-clock date axis and keeps zoom per axis choice", () => {
    const log = chartFigure({ logY: true }).layout;
    expect((log.yaxis as Trace).type).toBe("log");
    expect((log.yaxis2 as Trace).type).toBe("log");
    const wall = chartFigure({ xAxis: "wall" });
    expect((wall.layout.xaxis as Trace).type).toBe("date");
    expect((wall.data[0] as Trace).hovertemplate).toContain("%{x|%Y-%m-%d %H:%M:%S}");
    expect(wall.layout.uirevision).not.toBe(chartFigure().layout.uirevision);
  });

  it("uses WebGL for long series", () => {
    const long = (n: number): Series => ({
      run_id: "r",
      run_name: "r",
      metric: "m",
      points: n,
      total_points: n,
      x: new Float64Array(n).map((_, i) => i),
      y: new Float64Array(n),
    });
    const traces = buildLineFigure(
      [long(GL_THRESHOLD + 1), long(10)],
      { metrics: ["m"], xAxis: "step", smoothing: 0, logY: false },
      LIGHT,
    ).data as Trace[];
    expect(traces.map((t) => t.type)).toEqual(["scattergl", "scatter"]);
  });

  it("shows steps beyond 2**53 exactly on hover, from the strings the kernel sends", () => {
    const steps = ["9007199254740993", "4611686018427387907", "9223372036854775807"];
    const big: Series = {
      run_id: "r",
      run_name: "r",
      metric: "m",
      points: 3,
      total_points: 3,
      x_exact: steps,
      x: Float64Array.from(steps, Number),
      y: new Float64Array([1, 2, 3]),
    };
    const options = { metrics: ["m"], xAxis: "step" as const, smoothing: 0.5, logY: false };
    for (const trace of buildLineFigure([big], options, LIGHT).data as Trace[]) {
      expect(trace.customdata).toEqual(steps); // the raw and the smoothed line alike
      expect(Array.from(trace.x)).toEqual(steps.map(Number)); // positions: the nearest float64
    }
    const [smoothed] = (buildLineFigure([big], options, LIGHT).data as Trace[]).slice(1);
    expect(smoothed!.hovertemplate).toContain("step: %{customdata}");
    const [plain] = chartFigure().data as Trace[];
    expect(plain!.customdata).toBeUndefined();
    expect(plain!.hovertemplate).toContain("step: %{x}");
  });

  it("draws wall times a Date cannot hold on a plain number axis", () => {
    const far: Series = {
      run_id: "r",
      run_name: "r",
      metric: "m",
      points: 2,
      total_points: 2,
      x_exact: ["0", "9223372036854775807"],
      x: new Float64Array([0, 2 ** 63]),
      y: new Float64Array([1, 2]),
    };
    const { data, layout } = buildLineFigure(
      [far],
      { metrics: ["m"], xAxis: "wall", smoothing: 0, logY: false },
      LIGHT,
    );
    expect((layout.xaxis as Trace).type).toBe("linear");
    expect((layout.xaxis as Trace).title.text).toBe("time (ms since the epoch)");
    expect((data[0] as Trace).hovertemplate).toContain("time (ms since the epoch): %{customdata}");
    expect((chartFigure({ xAxis: "wall" }).layout.xaxis as Trace).type).toBe("date");
  });

  it("orders metrics as asked, then the others", () => {
    expect(metricOrder(fixtures.metricChart().series, ["val_acc"])).toEqual(["val_acc", "loss"]);
  });
});

describe("scatter figure", () => {
  it("splits categorical colours into legend traces, missing as (none)", () => {
    const state = fixtures.scatter();
    const { data, layout } = buildScatterFigure(state, LIGHT);
    const traces = data as Trace[];
    expect(traces.map((t) => t.name)).toEqual(["adam", "sgd", "(none)"]);
    expect(traces[0]!.x).toEqual([0.01, 0.001]);
    expect(traces[0]!.customdata).toEqual([
      ["a1", "run-10"],
      ["c3", ESCAPED],
    ]);
    expect(layout.showlegend).toBe(true);
    expect((layout.xaxis as Trace).type).toBe("linear");
  });

  it("highlights selected runs and dims the rest", () => {
    const traces = buildScatterFigure(fixtures.scatter(), LIGHT).data as Trace[];
    const sgd = traces[1]!; // d4, selected
    expect(sgd.marker.size).toEqual([12]);
    expect(sgd.marker.line.width).toEqual([2]);
    expect(traces[0]!.marker.opacity).toEqual([0.3, 0.3]);
    const none = buildScatterFigure({ ...fixtures.scatter(), selected: [] }, LIGHT).data as Trace[];
    expect(none[0]!.marker.opacity).toEqual([0.9, 0.9]);
  });

  it("uses a colour scale for numeric colours and log / category axes", () => {
    const state = { ...fixtures.scatter(), color: "metrics.loss", log_x: true, y_kind: "category" as const };
    state.points = { ...state.points, color: [0.3, 0.7, null, 0.1], y: ["a", XSS, "b", "c"] };
    const { data, layout } = buildScatterFigure(state, LIGHT);
    const traces = data as Trace[];
    expect(traces).toHaveLength(1);
    expect(traces[0]!.marker.colorscale).toBe("Viridis");
    expect(traces[0]!.marker.color).toEqual([0.3, 0.7, null, 0.1]);
    expect((layout.xaxis as Trace).type).toBe("log");
    expect((layout.yaxis as Trace).type).toBe("category");
    expect(traces[0]!.y[1]).toBe(ESCAPED);
  });

  it("classifies colours and toggles runs", () => {
    expect(colorMode([])).toBe("none");
    expect(colorMode([1, null, 2])).toBe("numeric");
    expect(colorMode([1, "a"])).toBe("category");
    expect(toggleRun(["a"], "b")).toEqual(["a", "b"]);
    expect(toggleRun(["a", "b"], "a")).toEqual(["b"]);
  });
});

describe("compare", () => {
  it("builds parallel coordinates of the differing params and the metric", () => {
    const figure = buildParcoordsFigure(fixtures.compare(), LIGHT)!;
    const trace = figure.data[0] as Trace;
    expect(trace.type).toBe("parcoords");
    expect(trace.dimensions.map((d: Trace) => d.label)).toEqual(["lr", "optimizer", "loss"]);
    expect(trace.dimensions[0].values).toEqual([0.01, 0.1, 0.01]);
    expect(trace.dimensions[1]).toMatchObject({
      values: [1, 2, 0],
      tickvals: [0, 1, 2],
      ticktext: ["(none)", "adam", "sgd"],
    });
    expect(trace.line.color).toEqual([0.31, 0.7, 0.12]);
  });

  it("maps categories to indices and escapes their labels", () => {
    const dim = paramDimension({ key: "name", values: [XSS, "b", XSS], differs: true });
    expect(dim.values).toEqual([0, 1, 0]);
    expect(dim.ticktext).toEqual([ESCAPED, "b"]);
    expect(paramDimension({ key: "one", values: ["x", "x"], differs: false }).range).toEqual([-1, 1]);
  });

  it("keeps colour scales and tick labels readable on a dark background", () => {
    const state = { ...fixtures.scatter(), color: "metrics.loss" };
    state.points = { ...state.points, color: [0.3, 0.7, null, 0.1] };
    const lightTrace = buildParcoordsFigure(fixtures.compare(), LIGHT)!.data[0] as Trace;
    const darkTrace = buildParcoordsFigure(fixtures.compare(), DARK)!.data[0] as Trace;
    const darkScatter = (buildScatterFigure(state, DARK).data as Trace[])[0]!;
    expect(lightTrace.line.colorscale).toBe("Viridis");
    for (const scale of [darkTrace.line.colorscale, darkScatter.marker.colorscale]) {
      expect(scale[0]).toEqual([0, "#2c728e"]); // no dark purple: Viridis from its blue on
      expect(scale[scale.length - 1]).toEqual([1, "#fde725"]);
      const stops = scale.map(([v]: [number, string]) => v);
      expect([...stops].sort((a, b) => a - b)).toEqual(stops);
    }
    expect(darkTrace.tickfont.shadow).toContain("#111"); // a halo in the page's colour, not grey
    expect(lightTrace.tickfont.shadow).toContain("#fff");
  });

  it("has no parallel coordinates without params or the metric", () => {
    expect(buildParcoordsFigure({ ...fixtures.compare(), params: [] }, LIGHT)).toBeNull();
    expect(buildParcoordsFigure({ ...fixtures.compare(), metric: "nope" }, LIGHT)).toBeNull();
  });

  it("marks differing params and the best metric values; names are text", () => {
    const state = fixtures.compare();
    const params = paramsTable(state, false);
    expect(params.querySelectorAll("tbody tr")).toHaveLength(3);
    expect(Array.from(params.querySelectorAll("tbody tr.lt-differs th")).map((t) => t.textContent)).toEqual([
      "lr",
      "optimizer",
    ]);
    expect(params.querySelector("img")).toBeNull();
    expect(params.querySelector("thead")!.textContent).toContain(XSS);
    expect(paramsTable(state, true).querySelectorAll("tbody tr")).toHaveLength(2);
    const metrics = metricsTable(state);
    const best = Array.from(metrics.querySelectorAll("td.lt-best")).map((td) => td.textContent);
    expect(best).toEqual(["0.973", "0.12"]);
    expect(metrics.querySelector("tr.lt-current th")!.textContent).toBe("loss");
  });
});

describe("float32 params", () => {
  it("show short in the comparison's params, the stored value in the title", () => {
    const state = fixtures.compare();
    const lr = state.params.find((p) => p.key === "lr")!;
    lr.values[0] = "0.0010000000474974513";
    const cell = Array.from(paramsTable(state, false).querySelectorAll("tbody tr"))
      .find((tr) => tr.querySelector("th")!.textContent === "lr")!
      .querySelector("td")!;
    expect(cell.textContent).toBe("0.001");
    expect(cell.title).toBe("0.0010000000474974513");
  });
});
