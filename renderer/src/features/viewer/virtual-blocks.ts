import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react';

// A long list of blocks in one scrolling column with only those in view (and a screen either side) in the DOM:
// each block's height is measured once it is drawn and estimated until then (`estimate`, from the column's
// width), the column's height is their sum, and a change in a drawn block's height never moves what is on the
// screen (the block at the top keeps its place). The drawn blocks are the `list` element's children, each with
// a `data-index` attribute. When the blocks are cut anew (`startOf` changes: the rest of a long text has
// arrived), the view keeps the text it showed: the block at the top is found again by where its text starts.
export interface VirtualBlocks {
  // The blocks to draw, [first, last), and where the first one's top lies in the column.
  first: number;
  last: number;
  offset: number;
  total: number;
  // The block at the top of the view.
  top: number;
  // A block's height as the column counts it (estimated until it is drawn).
  height(index: number): number;
  onScroll(): void;
  // Scrolls so that the block lies at the top of the view ('top') or a quarter of the way down ('near').
  reveal(index: number, align?: 'top' | 'near'): void;
}

// Without layout (tests in jsdom) the view is taken to be this tall and this wide.
const FALLBACK_HEIGHT = 800;
const FALLBACK_WIDTH = 700;

export function useVirtualBlocks(
  scroller: RefObject<HTMLElement | null>,
  list: RefObject<HTMLElement | null>,
  count: number,
  estimate: (index: number, width: number) => number,
  // Where each block's text starts in the document, ascending.
  startOf: (index: number) => number,
): VirtualBlocks {
  const [size, setSize] = useState({ width: 0, height: 0 });
  const width = size.width || FALLBACK_WIDTH;
  const view = size.height || FALLBACK_HEIGHT;
  // Heights (estimated until drawn, then measured) and their running sums, kept across draws.
  const model = useMemo(() => {
    const heights = new Float64Array(count);
    for (let i = 0; i < count; i++) heights[i] = estimate(i, width);
    return { heights, offsets: runningSums(heights), view, startOf };
  }, [count, estimate, width, startOf]);
  model.view = view;
  const current = useRef(model);
  current.current = model;
  const drawn = useRef<typeof model | null>(null);
  const [, redraw] = useState(0);
  // What must stay where it is: a block, and how far the view's top lies below the block's top.
  const anchor = useRef({ index: 0, delta: 0 });
  const pending = useRef(false);
  const [scrollTop, setScrollTop] = useState(0);

  const onScroll = useCallback(() => {
    const y = scroller.current?.scrollTop ?? 0;
    const { offsets } = current.current;
    const index = indexAt(offsets, y);
    anchor.current = { index, delta: y - offsets[index] };
    setScrollTop(y);
  }, [scroller]);

  const reveal = useCallback((index: number, align: 'top' | 'near' = 'near') => {
    const { offsets, view } = current.current;
    const at = Math.max(0, Math.min(index, offsets.length - 2));
    anchor.current = { index: at, delta: align === 'top' ? 0 : -view / 4 };
    pending.current = true;
    setScrollTop(Math.max(0, offsets[at] + anchor.current.delta));
  }, []);

  useEffect(() => {
    const element = scroller.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => setSize((s) => (s.width === element.clientWidth && s.height === element.clientHeight ? s : { width: element.clientWidth, height: element.clientHeight })));
    observer.observe(element);
    return () => observer.disconnect();
  }, [scroller]);

  // After each draw: the drawn blocks' heights replace their estimates, and the anchor is put back in place.
  useLayoutEffect(() => {
    const before = drawn.current;
    let changed = before !== model;
    if (before && before.startOf !== model.startOf) anchor.current.index = blockStartingAt(model, before.startOf(anchor.current.index));
    drawn.current = model;
    for (const child of list.current?.children ?? []) {
      const index = Number((child as HTMLElement).dataset.index);
      const height = child.getBoundingClientRect().height;
      if (height > 0 && Math.abs(height - model.heights[index]) > 0.5) {
        model.heights[index] = height;
        changed = true;
      }
    }
    if (changed) model.offsets = runningSums(model.heights);
    const element = scroller.current;
    if (!element || (!changed && !pending.current)) return;
    pending.current = false;
    const y = Math.max(0, model.offsets[anchor.current.index] + anchor.current.delta);
    if (Math.abs(element.scrollTop - y) > 0.5) element.scrollTop = y;
    if (changed) redraw((v) => v + 1);
    setScrollTop(y);
  });

  const { offsets } = model;
  const first = indexAt(offsets, scrollTop - view);
  const last = Math.min(count, indexAt(offsets, scrollTop + 2 * view) + 1);
  return { first, last, offset: offsets[first], total: offsets[count], top: indexAt(offsets, scrollTop), height: (index) => model.heights[index], onScroll, reveal };
}

function runningSums(heights: Float64Array): Float64Array {
  const sums = new Float64Array(heights.length + 1);
  for (let i = 0; i < heights.length; i++) sums[i + 1] = sums[i] + heights[i];
  return sums;
}

// The last block starting at or before a text offset.
function blockStartingAt({ heights, startOf }: { heights: Float64Array; startOf: (index: number) => number }, start: number): number {
  let [low, high] = [0, Math.max(0, heights.length - 1)];
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (startOf(mid) <= start) low = mid;
    else high = mid - 1;
  }
  return low;
}

// The block that the column's y falls in.
function indexAt(offsets: Float64Array, y: number): number {
  let [low, high] = [0, Math.max(0, offsets.length - 2)];
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (offsets[mid] <= y) low = mid;
    else high = mid - 1;
  }
  return low;
}
