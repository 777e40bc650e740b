import { afterEach, describe, expect, it, vi } from "vitest";

import { toFloat64 } from "../shared/buffers";
import { h, plotlyText, replaceChildren } from "../shared/dom";
import { ema } from "../shared/ema";
import {
  formatAbsoluteTime,
  formatCount,
  formatDuration,
  formatNumber,
  formatParam,
  formatRelativeTime,
} from "../shared/format";
import { Disposer, onChange } from "../shared/model";
import { keepDrawn } from "../shared/redraw";
import { isDark, readTheme, watchTheme } from "../shared/theme";
import { FakeModel, XSS } from "./helpers";

function float64Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float64Array(values).buffer);
}

describe("toFloat64", () => {
  it("reads a DataView, an ArrayBuffer and a Uint8Array as little-endian float64", () => {
    const bytes = float64Bytes([1.5, -2, NaN]);
    for (const input of [new DataView(bytes.buffer), bytes.buffer, bytes]) {
      const out = toFloat64(input);
      expect(out).toBeInstanceOf(Float64Array);
      expect(Array.from(out.slice(0, 2))).toEqual([1.5, -2]);
      expect(out[2]).toBeNaN();
    }
  });

  it("copies a view whose offset is not 8-byte aligned (as inside a widget message)", () => {
    const raw = new Uint8Array(8 * 2 + 3);
    raw.set(float64Bytes([3.25, 1e-9]), 3);
    expect(Array.from(toFloat64(new DataView(raw.buffer, 3, 16)))).toEqual([3.25, 1e-9]);
  });

  it("decodes explicit little-endian bytes", () => {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, 42.5, true);
    expect(Array.from(toFloat64(view))).toEqual([42.5]);
  });

  it("accepts empty input, plain arrays (null -> NaN) and ignores a trailing partial value", () => {
    expect(toFloat64(null).length).toBe(0);
    expect(toFloat64(new ArrayBuffer(0)).length).toBe(0);
    const out = toFloat64([1, null as unknown as number, 3]);
    expect(out[0]).toBe(1);
    expect(out[1]).toBeNaN();
    expect(toFloat64(new Uint8Array(12)).length).toBe(1);
  });
});

describe("ema", () => {
  it("is the identity at weight 0", () => {
    expect(Array.from(ema([1, 5, 2], 0))).toEqual([1, 5, 2]);
  });

  it("is debiased: the first value is kept, not pulled towards 0", () => {
    const out = ema([10, 20], 0.9);
    expect(out[0]).toBeCloseTo(10);
    // last = 0.9 * (0.1 * 10) + 0.1 * 20 = 2.9, debiased by 1 - 0.9^2
    expect(out[1]).toBeCloseTo(2.9 / 0.19, 6);
  });

  it("passes NaN through and skips it in the average", () => {
    const out = ema([1, NaN, 3], 0.5);
    expect(out[0]).toBeCloseTo(1);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeCloseTo(ema([1, 3], 0.5)[1]!);
  });

  it("keeps a constant series exactly constant", () => {
    expect(Array.from(ema([0.1, 0.1, 0.1, 0.1], 0.95))).toEqual([0.1, 0.1, 0.1, 0.1]);
  });

  it("smooths noise", () => {
    const noisy = Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : -1));
    const out = ema(noisy, 0.9);
    expect(Math.abs(out[199]!)).toBeLessThan(0.2);
  });
});

describe("format", () => {
  it("formats numbers with sensible precision", () => {
    expect(formatNumber(null)).toBe("");
    expect(formatNumber(1234567)).toBe("1,234,567");
    expect(formatNumber(0.951234)).toBe("0.9512");
    expect(formatNumber(1.23456)).toBe("1.235");
    expect(formatNumber(123.456)).toBe("123.5");
    expect(formatNumber(12345.67)).toBe("12,345.7");
    expect(formatNumber(0.00001234)).toBe("1.234e-5");
    expect(formatNumber(2.5e9)).toBe("2,500,000,000"); // integers (steps, counts) in full
    expect(formatNumber(2.5e9 + 0.25)).toBe("2.5e9");
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(NaN)).toBe("NaN");
    expect(formatNumber(-Infinity)).toBe("-∞");
  });

  it("formats counts", () => {
    expect(formatCount(1234)).toBe("1,234");
  });

  it("formats durations", () => {
    expect(formatDuration(null)).toBe("");
    expect(formatDuration(0.4)).toBe("400ms");
    expect(formatDuration(4.24)).toBe("4.2s");
    expect(formatDuration(42)).toBe("42s");
    expect(formatDuration(65)).toBe("1m 05s");
    expect(formatDuration(7384)).toBe("2h 03m");
    expect(formatDuration(3 * 86400 + 4 * 3600)).toBe("3d 04h");
  });

  it("formats relative and absolute times", () => {
    const now = new Date(2024, 4, 1, 12, 0, 0).getTime();
    expect(formatRelativeTime(now - 10_000, now)).toBe("just now");
    expect(formatRelativeTime(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(formatRelativeTime(now - 3 * 3600_000, now)).toBe("3 h ago");
    expect(formatRelativeTime(now - 2 * 86400_000, now)).toBe("2 d ago");
    expect(formatRelativeTime(now - 90 * 86400_000, now)).toBe(formatAbsoluteTime(now - 90 * 86400_000).slice(0, 10));
    expect(formatAbsoluteTime(now)).toBe("2024-05-01 12:00:00");
    expect(formatRelativeTime(null, now)).toBe("");
  });
});

describe("escaping", () => {
  it("puts user strings in as text, never as elements", () => {
    const cell = h("div", { text: XSS, title: XSS, attrs: { "data-x": XSS } });
    replaceChildren(document.body, [cell, XSS]);
    expect(document.body.querySelector("img")).toBeNull();
    expect(cell.textContent).toBe(XSS);
    expect(document.body.textContent).toContain(XSS + XSS);
  });

  it("entity-escapes text handed to Plotly's markup", () => {
    expect(plotlyText(XSS)).toBe("&lt;img src=x onerror=alert(1)&gt;");
    expect(plotlyText("a&b <b>")).toBe("a&amp;b &lt;b&gt;");
    expect(plotlyText(null)).toBe("");
  });
});

describe("theme", () => {
  afterEach(() => {
    delete document.body.dataset.jpThemeLight;
  });

  it("detects JupyterLab's dark theme", () => {
    expect(isDark()).toBe(false);
    document.body.dataset.jpThemeLight = "false";
    expect(isDark()).toBe(true);
    expect(readTheme().dark).toBe(true);
    document.body.dataset.jpThemeLight = "true";
    expect(isDark()).toBe(false);
  });

  it("reads --jp-* variables", () => {
    document.body.style.setProperty("--jp-ui-font-color1", "rgb(1, 2, 3)");
    expect(readTheme().text).toBe("rgb(1, 2, 3)");
    document.body.style.removeProperty("--jp-ui-font-color1");
  });

  it("notices theme switches until stopped", async () => {
    let calls = 0;
    const stop = watchTheme(() => calls++);
    document.body.dataset.jpThemeLight = "false";
    await Promise.resolve(); // happy-dom delivers MutationObserver records in a microtask
    expect(calls).toBe(1);
    stop();
    document.body.dataset.jpThemeLight = "true";
    await Promise.resolve();
    expect(calls).toBe(1);
  });
});

describe("model helpers", () => {
  it("onChange and Disposer remove what they added", () => {
    const model = new FakeModel({ a: 1, b: 2 });
    const disposer = new Disposer();
    let seen = 0;
    disposer.add(onChange(model, ["a", "b"], () => seen++));
    const target = new EventTarget();
    disposer.listen(target, "ping", () => seen++);
    model.set("a", 5);
    target.dispatchEvent(new Event("ping"));
    expect(seen).toBe(2);
    disposer.dispose();
    model.set("b", 9);
    target.dispatchEvent(new Event("ping"));
    expect(seen).toBe(2);
    expect(model.listenerCount()).toBe(0);
  });
});

describe("keepDrawn", () => {
  afterEach(() => {
    vi.useRealTimers();
    document.body.dataset.jpThemeLight = "true";
  });

  it("draws now, once per frame after changes, again on a theme switch, and not after dispose", async () => {
    vi.useFakeTimers();
    const model = new FakeModel({ a: 1, b: 2, c: 3 });
    const disposer = new Disposer();
    const drawn: boolean[] = [];
    const redrawSoon = keepDrawn(model, document.body, ["a", "b"], disposer, (theme) => drawn.push(theme.dark));
    expect(drawn).toEqual([false]);
    redrawSoon(); // a change the model does not carry
    await vi.advanceTimersByTimeAsync(16);
    expect(drawn).toEqual([false, false]);
    model.set("a", 5);
    model.set("b", 6);
    model.set("c", 7); // not watched
    await vi.advanceTimersByTimeAsync(16);
    expect(drawn).toEqual([false, false, false]);
    document.body.dataset.jpThemeLight = "false";
    await vi.advanceTimersByTimeAsync(16);
    expect(drawn).toEqual([false, false, false, true]);
    model.set("a", 8);
    disposer.dispose(); // a pending frame is cancelled too
    await vi.advanceTimersByTimeAsync(16);
    expect(drawn).toEqual([false, false, false, true]);
    expect(model.listenerCount()).toBe(0);
  });
});

describe("formatParam", () => {
  it("shows a float32 printed as float64 in its shortest round-trip form", () => {
    expect(formatParam("0.0010000000474974513")).toBe("0.001");
    expect(formatParam("0.10000000149011612")).toBe("0.1");
    expect(formatParam("-2.5999999046325684")).toBe("-2.6");
    expect(formatParam("9.99999993922529e-09")).toBe("1e-8");
  });

  it("leaves float64 values, short numbers and text as they are", () => {
    expect(formatParam("0.001")).toBe("0.001");
    expect(formatParam("0.30000000000000004")).toBe("0.30000000000000004"); // not a float32
    expect(formatParam("123456789012")).toBe("123456789012");
    expect(formatParam("1073741824000")).toBe("1073741824000"); // a float32 too, but an integer
    expect(formatParam("adam")).toBe("adam");
    expect(formatParam("0x1234567890")).toBe("0x1234567890");
    expect(formatParam("[0.0010000000474974513]")).toBe("[0.0010000000474974513]");
    expect(formatParam(null)).toBe("");
  });
});
