// Virtual scrolling with a fixed row height: only the rows in view (plus a margin) exist in
// the DOM, so 10,000 runs cost as much as 40.

export interface RowWindow {
  start: number; // first row rendered
  end: number; // one past the last
  total: number; // height of all rows, px
}

export function visibleWindow(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  count: number,
  overscan = 8,
): RowWindow {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, viewport) / rowHeight) + 1;
  return {
    start: Math.min(count, Math.max(0, first - overscan)),
    end: Math.min(count, first + visible + overscan),
    total: count * rowHeight,
  };
}

/** The scrollTop that brings row `index` fully into a `viewport`-high view (unchanged if in view). */
export function revealRow(index: number, scrollTop: number, viewport: number, rowHeight: number): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewport) return bottom - viewport;
  return scrollTop;
}
