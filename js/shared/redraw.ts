// What every plotting widget does to stay current: draw now, then again after its model or the
// page's theme changes (several changes arriving together draw once).

import { type Disposer, type Model, onChange } from "./model";
import { coalesce } from "./schedule";
import { readTheme, type Theme, watchTheme } from "./theme";

/**
 * Call `draw` with the theme of `el` now, and again (once per animation frame at most) whenever
 * one of `keys` changes on `model` or the theme changes (it is read again then). The listeners
 * and a pending frame are removed by `disposer`. Returns the function that asks for a redraw at
 * the next frame, for changes the model does not carry (a toggle local to the view).
 */
export function keepDrawn<S>(
  model: Model<S>,
  el: Element,
  keys: (keyof S & string)[],
  disposer: Disposer,
  draw: (theme: Theme) => void,
): () => void {
  let theme = readTheme(el);
  const { schedule, cancel } = coalesce(() => draw(theme));
  disposer.add(cancel);
  disposer.add(onChange(model, keys, schedule));
  disposer.add(
    watchTheme(() => {
      theme = readTheme(el);
      schedule();
    }),
  );
  draw(theme);
  return schedule;
}
