// Where a find-in-document match lies on a PDF page drawn as printed: the page's text items (pdf.js's, in
// content-stream order) are searched as one string, and each match becomes the boxes of the items it spans,
// cut at the characters it starts and ends on, as fractions of the page (the canvas is scaled to fit, so the
// marks laid over it are placed in percent).
export interface PageTextItem {
  str: string;
  // The item's text matrix in the page's viewport at scale 1 (origin top left, y down) and its advance width.
  transform: number[];
  width: number;
  hasEOL?: boolean;
}

export interface PageBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

// `pageWidth` and `pageHeight`: the viewport's size at scale 1.
export function findBoxes(items: PageTextItem[], query: string, pageWidth: number, pageHeight: number, limit = 200): PageBox[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return [];
  let text = '';
  const owners: Array<{ item: number; at: number }> = [];
  items.forEach((item, i) => {
    for (let at = 0; at < item.str.length; at++) owners.push({ item: i, at });
    text += item.str;
    if (item.hasEOL) {
      owners.push({ item: -1, at: 0 });
      text += ' ';
    }
  });
  const haystack = text.toLowerCase();
  const boxes: PageBox[] = [];
  for (let found = haystack.indexOf(needle); found >= 0 && boxes.length < limit; found = haystack.indexOf(needle, found + needle.length)) {
    // The match's characters, grouped by the item they belong to.
    const spans = new Map<number, { from: number; to: number }>();
    for (const { item, at } of owners.slice(found, found + needle.length)) {
      if (item < 0) continue;
      const span = spans.get(item);
      if (span) span.to = at + 1;
      else spans.set(item, { from: at, to: at + 1 });
    }
    for (const [index, { from, to }] of spans) {
      const item = items[index];
      const [a, b, c, d, x, y] = item.transform;
      const size = Math.hypot(c, d) || Math.hypot(a, b);
      const perChar = item.str.length ? item.width / item.str.length : 0;
      boxes.push({
        left: ((x + from * perChar) / pageWidth) * 100,
        // From the baseline up by the font size, a fifth of it below for descenders.
        top: ((y - size) / pageHeight) * 100,
        width: (((to - from) * perChar) / pageWidth) * 100,
        height: ((size * 1.2) / pageHeight) * 100,
      });
    }
  }
  return boxes;
}
