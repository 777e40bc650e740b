// Small toolbar controls shared by the chart widgets.

import { h } from "./dom";
import type { Disposer } from "./model";

export function selectControl(
  label: string,
  options: [string, string][],
  disposer: Disposer,
  onChange: (value: string) => void,
): HTMLSelectElement {
  const select = h(
    "select",
    { class: "lt-select", attrs: { "aria-label": label } },
    options.map(([value, text]) => h("option", { text, attrs: { value } })),
  );
  disposer.listen(select, "change", () => onChange(select.value));
  return select;
}

export function checkboxControl(
  label: string,
  disposer: Disposer,
  onChange: (checked: boolean) => void,
): { wrap: HTMLLabelElement; input: HTMLInputElement } {
  const input = h("input", { attrs: { type: "checkbox" } });
  disposer.listen(input, "change", () => onChange(input.checked));
  return { wrap: h("label", { class: "lt-check" }, [input, label]), input };
}

/** A range slider: `onInput` while dragging (redraw locally), `onCommit` on release. */
export function sliderControl(
  label: string,
  min: number,
  max: number,
  step: number,
  disposer: Disposer,
  onInput: (value: number) => void,
  onCommit: () => void,
): { wrap: HTMLLabelElement; input: HTMLInputElement; value: HTMLSpanElement } {
  const input = h("input", { attrs: { type: "range", min, max, step, "aria-label": label } });
  const value = h("span", { class: "lt-slider-value" });
  disposer.listen(input, "input", () => onInput(Number(input.value)));
  disposer.listen(input, "change", () => onCommit());
  return { wrap: h("label", { class: "lt-slider" }, [label, input, value]), input, value };
}
