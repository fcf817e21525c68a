// Find on a PDF page shown as printed: the matches' boxes over the drawn page, from pdf.js's text items.
import { describe, expect, it } from 'vitest';
import { findBoxes } from '../../renderer/src/features/viewer/page-find.ts';

// Items in viewport coordinates at scale 1 (origin top left): a 12 pt line at y = 100 on a 600 × 800 page.
const item = (str: string, x: number, y: number, width: number, hasEOL = false) => ({ str, transform: [12, 0, 0, -12, x, y], width, hasEOL });

describe('find marks on the printed page', () => {
  it('boxes each match, cut at its characters, across items and lines, case-insensitive', () => {
    const items = [item('The harbour ', 60, 100, 72, false), item('master', 132, 100, 36, true), item('Master of the harbour', 60, 120, 126)];
    const boxes = findBoxes(items, 'Harbour', 600, 800);
    expect(boxes).toHaveLength(2);
    // "harbour" is characters 4–10 of a 12-character, 72-unit item: x from 60 + 4 × 6.
    expect(boxes[0].left).toBeCloseTo((84 / 600) * 100);
    expect(boxes[0].width).toBeCloseTo((42 / 600) * 100);
    expect(boxes[0].top).toBeCloseTo((88 / 800) * 100);
    // A match spanning two items gives a box in each.
    expect(findBoxes(items, 'harbour master', 600, 800)).toHaveLength(2);
    expect(findBoxes(items, 'nowhere', 600, 800)).toEqual([]);
    expect(findBoxes(items, '  ', 600, 800)).toEqual([]);
  });
});
