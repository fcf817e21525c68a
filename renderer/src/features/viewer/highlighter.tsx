import type { ReactNode, RefObject } from 'react';

export interface Range {
  start: number;
  end: number;
}

// Draws pieces of a document's text (each with its offset in the document) with the highlighted range, in
// document offsets, marked wherever it falls; only the first marked piece takes the ref the viewer scrolls to.
// One highlighter per render.
export function highlighter(highlight: Range | null, markRef: RefObject<HTMLElement | null>): (p: { start: number; text: string }) => ReactNode {
  let refGiven = false;
  return (p) => {
    const from = highlight ? Math.max(highlight.start, p.start) - p.start : 0;
    const to = highlight ? Math.min(highlight.end, p.start + p.text.length) - p.start : 0;
    if (!highlight || to <= from) return p.text;
    const ref = refGiven ? undefined : markRef;
    refGiven = true;
    return (
      <>
        {p.text.slice(0, from)}
        <mark ref={ref}>{p.text.slice(from, to)}</mark>
        {p.text.slice(to)}
      </>
    );
  };
}
