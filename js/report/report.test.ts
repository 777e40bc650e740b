// @vitest-environment jsdom
// jsdom, not happy-dom: happy-dom parses HTML loosely enough that DOMPurify keeps a <script> there.

import { describe, expect, it } from "vitest";

import { toFloat64 } from "../shared/buffers";
import { decodeSeries, decodeX, isInlineImage } from "./data";
import { noteElement, runTable } from "./report";
import type { EncodedSeries, ReportData } from "./types";

// What src/labtrack/html_report/_gather.py writes (encode_y, encode_x) for these numbers.
const Y_F32 = "AAAAPwAAAMAAAMB/bxKDOg=="; // [0.5, -2, NaN, 0.001] as float32
const X_F64 = "AAAAAAAAAAAAAAAAAAAIQP///////z9D"; // [0, 3, 2**53 - 1] as float64

describe("decoding the payload", () => {
  it("expands evenly spaced steps and reads float64 ones exactly", () => {
    expect([...decodeX({ start: 10, step: 5, count: 4 })]).toEqual([10, 15, 20, 25]);
    expect([...decodeX({ f64: X_F64 })]).toEqual([0, 3, 2 ** 53 - 1]);
  });

  it("reads float32 values, NaN kept as a gap", () => {
    const encoded: EncodedSeries = {
      run_id: "r1",
      run_name: "one",
      metric: "loss",
      x: { start: 0, step: 1, count: 4 },
      y: Y_F32,
      x_exact: null,
      points: 4,
      total_points: 4,
    };
    const series = decodeSeries(encoded);
    const y = toFloat64(series.y);
    expect(y[0]).toBe(0.5);
    expect(y[1]).toBe(-2);
    expect(Number.isNaN(y[2])).toBe(true);
    expect(y[3]).toBeCloseTo(0.001, 7);
    expect([...toFloat64(series.x)]).toEqual([0, 1, 2, 3]);
  });

  it("shows only images inlined as data URIs", () => {
    expect(isInlineImage("data:image/png;base64,iVBORw0KGgo=")).toBe(true);
    expect(isInlineImage("https://example.com/a.png")).toBe(false);
    expect(isInlineImage("data:image/svg+xml;base64,PHN2Zz4=")).toBe(false); // SVG can script
    expect(isInlineImage('data:image/png;base64,AA" onerror="x')).toBe(false);
    expect(isInlineImage(null)).toBe(false);
  });
});

describe("notes", () => {
  it("render as sanitized Markdown, and images from elsewhere as their alt text", () => {
    const el = noteElement(
      "**bold** ![chart](https://example.com/c.png) ![](x.png)\n\n<script>window.pwned = 1</script>" +
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline"><a href="https://example.com">link</a>',
    );
    expect(el.querySelector("strong")?.textContent).toBe("bold");
    expect(el.textContent).toContain("[chart]");
    const images = [...el.querySelectorAll("img")];
    expect(images.map((img) => img.getAttribute("alt"))).toEqual(["inline"]);
    expect(el.querySelector("script")).toBeNull();
    expect(el.querySelector("a")?.getAttribute("rel")).toBe("noopener noreferrer");
  });
});

function data(): ReportData {
  return {
    version: 1,
    title: "t",
    experiments: ["e"],
    filter: "",
    generated: 0,
    metrics: ["acc"],
    metric: "acc",
    lower_is_better: false,
    table: {
      columns: [
        { name: "run_name", label: "run", group: "info", dtype: "string" },
        { name: "run_id", label: "run id", group: "info", dtype: "string" },
        { name: "metrics.acc", label: "acc", group: "metrics", dtype: "number" },
      ],
      data: { run_name: ["b", "<b>a</b>", "c"], run_id: ["2", "1", "3"], "metrics.acc": [0.5, 0.9, null] },
    },
    series: [],
    scatter: null,
    parallel: null,
    compare: null,
    notes: [],
    images: [],
  };
}

describe("the run table", () => {
  const names = (el: HTMLElement) =>
    [...el.querySelectorAll("tbody tr:not([hidden])")].map((tr) => tr.querySelector("td")?.textContent);

  it("sorts by a header click: ascending, descending, then as logged; missing values last", () => {
    const table = runTable(data());
    const button = () =>
      [...table.el.querySelectorAll<HTMLButtonElement>("thead button")].find((b) => b.textContent?.startsWith("acc"));
    expect(names(table.el)).toEqual(["b", "<b>a</b>", "c"]);
    button()?.click();
    expect(names(table.el)).toEqual(["b", "<b>a</b>", "c"]);
    expect(button()?.textContent).toBe("acc ▲");
    button()?.click();
    expect(names(table.el)).toEqual(["<b>a</b>", "b", "c"]);
    expect(button()?.closest("th")?.getAttribute("aria-sort")).toBe("descending");
    button()?.click();
    expect(names(table.el)).toEqual(["b", "<b>a</b>", "c"]);
    expect(table.el.querySelector("tbody b")).toBeNull(); // a name is text, never markup
  });

  it("shows only the runs asked for, saying how many", () => {
    const table = runTable(data());
    table.only(["3", "1"], "inside the ranges");
    expect(names(table.el)).toEqual(["<b>a</b>", "c"]);
    expect(table.el.querySelector(".lt-report-shown")?.textContent).toBe("2 of 3 runs inside the ranges.");
    table.only(null, "");
    expect(names(table.el)).toHaveLength(3);
    expect(table.el.querySelector<HTMLElement>(".lt-report-shown")?.hidden).toBe(true);
  });
});
