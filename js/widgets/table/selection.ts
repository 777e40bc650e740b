// Row selection as in file managers: click selects one, ctrl/cmd toggles, shift selects the
// range from the anchor (the last row clicked without shift), in the order rows are shown.

export interface Modifiers {
  toggle: boolean; // ctrl or cmd
  range: boolean; // shift
}

export interface Selection {
  selected: string[];
  anchor: string | null;
}

/** `order`: run ids in display order; `index`: the clicked row's position in it. */
export function clickSelection(order: string[], current: Selection, index: number, mods: Modifiers): Selection {
  const id = order[index];
  if (id === undefined) return current;
  const anchorIndex = current.anchor === null ? -1 : order.indexOf(current.anchor);
  if (mods.range && anchorIndex >= 0) {
    const [lo, hi] = anchorIndex <= index ? [anchorIndex, index] : [index, anchorIndex];
    const range = order.slice(lo, hi + 1);
    const selected = mods.toggle ? [...current.selected, ...range.filter((r) => !current.selected.includes(r))] : range;
    return { selected, anchor: current.anchor };
  }
  if (mods.toggle || mods.range) {
    const selected = current.selected.includes(id)
      ? current.selected.filter((s) => s !== id)
      : [...current.selected, id];
    return { selected, anchor: id };
  }
  // Clicking the only selected row again clears the selection: a way out without keys.
  const only = current.selected.length === 1 && current.selected[0] === id;
  return { selected: only ? [] : [id], anchor: id };
}

/** Arrow keys: move to `index` and select it alone, or (shift) extend from the anchor. */
export function moveSelection(order: string[], current: Selection, index: number, extend: boolean): Selection {
  const id = order[index];
  if (id === undefined) return current;
  if (extend && current.anchor !== null && order.includes(current.anchor)) {
    return clickSelection(order, current, index, { toggle: false, range: true });
  }
  return { selected: [id], anchor: id };
}

/** Space: toggle one row. */
export function toggleSelection(order: string[], current: Selection, index: number): Selection {
  return clickSelection(order, current, index, { toggle: true, range: false });
}
