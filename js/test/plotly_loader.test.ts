// Where the chart widgets get Plotly (js/shared/plotly.ts): the extension's loader when the page
// has it, else the kernel's PlotlyProvider, asked once for all the page's widgets. Evaluating
// the module and drawing are the browser tests' (tests/e2e/test_plotly_once.py).

import { afterEach, describe, expect, it, vi } from "vitest";

import { loadPlotly, type PlotlyStatic, type ProviderHost, type ProviderModel } from "../shared/plotly";

class FakeProvider implements ProviderModel {
  sourceGzip = "";
  sent: object[] = [];
  private readonly listeners = new Set<() => void>();
  get(_key: "source_gzip"): string {
    return this.sourceGzip;
  }
  on(_event: string, callback: () => void): void {
    this.listeners.add(callback);
  }
  off(_event: string, callback: () => void): void {
    this.listeners.delete(callback);
  }
  send(content: { type: "need" }): void {
    this.sent.push(content);
  }
}

function widget(provider: FakeProvider, ref: unknown = "IPY_MODEL_provider") {
  const asked: string[] = [];
  const host: ProviderHost = {
    get: () => ref,
    widget_manager: {
      get_model: async (id: string) => {
        asked.push(id);
        return provider;
      },
    },
  };
  return { host, asked };
}

afterEach(() => {
  window.labtrackPlotly = undefined;
  window.labtrackPlotlyFromProvider = undefined;
});

describe("loadPlotly", () => {
  it("takes the extension's Plotly and never asks the kernel", async () => {
    const plotly = { react: vi.fn() } as unknown as PlotlyStatic;
    window.labtrackPlotly = vi.fn(async () => plotly);
    const provider = new FakeProvider();
    const widgets = Array.from({ length: 5 }, () => widget(provider));
    for (const { host } of widgets) expect(await loadPlotly(host)).toBe(plotly);
    expect(widgets.flatMap((w) => w.asked)).toEqual([]);
    expect(provider.sent).toEqual([]);
  });

  it("asks the kernel's provider for the source once for five widgets", async () => {
    const provider = new FakeProvider();
    const widgets = Array.from({ length: 5 }, () => widget(provider));
    const loads = widgets.map(({ host }) => loadPlotly(host));
    for (const load of loads) load.catch(() => {}); // never answered here
    expect(new Set(loads).size).toBe(1); // one load for the page
    await vi.waitFor(() => expect(provider.sent).toEqual([{ type: "need" }]));
    expect(widgets.flatMap((w) => w.asked)).toEqual(["provider"]);
  });

  it("refuses clearly when there is neither a provider nor the extension", async () => {
    const { host } = widget(new FakeProvider(), null);
    await expect(loadPlotly(host)).rejects.toThrow(/no Plotly provider and no labtrack JupyterLab extension/);
    // The failure is not kept: a later widget with a provider tries again.
    expect(window.labtrackPlotlyFromProvider).toBeUndefined();
  });
});
