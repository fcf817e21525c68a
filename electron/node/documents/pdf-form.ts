// Filled-in form fields. pdf.js's text layer holds only the page's content stream, while a form field's value
// lives in the field (and in an appearance the viewer draws over the page), so a filled form read as text had
// its labels without its answers ("Name:" with "Alice" missing). Each text and choice field's value is placed
// as a text item where its box is on the page: after the last item of its line to its left, else before the
// first item below it, so it reads in place ("Name: Alice").
import type { TextItem } from './pdf-text-layer.ts';

// The part of pdf.js's annotation data read here.
export interface FieldAnnotation {
  subtype?: string;
  fieldType?: string;
  // The field's full name, its ancestors' names joined by dots.
  fieldName?: string;
  fieldValue?: unknown;
  rect?: number[];
  // PDF annotation flags: 2 is Hidden, 32 NoView.
  annotationFlags?: number;
}

const HIDDEN = 2 | 32;

function fieldText(annotation: FieldAnnotation): string {
  const value = annotation.fieldValue;
  const text = Array.isArray(value) ? value.filter((v) => typeof v === 'string').join(', ') : typeof value === 'string' ? value : '';
  return text.replace(/\s+/g, ' ').trim();
}

// A field's value as the item pdf.js would give for it: its box's height sets the size (text fills about
// two thirds of a one-line box), its baseline a quarter of the way up.
function fieldItem(annotation: FieldAnnotation, str: string): TextItem {
  const [x1, y1, x2, y2] = annotation.rect!;
  const height = Math.abs(y2 - y1);
  const size = Math.min(Math.max(height * 0.65, 6), 14);
  return { str, dir: 'ltr', transform: [size, 0, 0, size, Math.min(x1, x2), Math.min(y1, y2) + height * 0.25], width: Math.abs(x2 - x1), height: size, hasEOL: false };
}

export function withFieldValues(items: TextItem[], annotations: FieldAnnotation[]): TextItem[] {
  const out = [...items];
  for (const annotation of annotations) {
    if (annotation.subtype !== 'Widget' || (annotation.fieldType !== 'Tx' && annotation.fieldType !== 'Ch')) continue;
    if ((annotation.annotationFlags ?? 0) & HIDDEN || annotation.rect?.length !== 4) continue;
    const str = fieldText(annotation);
    if (!str) continue;
    const field = fieldItem(annotation, str);
    const [, , , , x, y] = field.transform;
    const size = field.height;
    let at = -1;
    out.forEach((item, i) => {
      if (item.str !== '' && Math.abs(item.transform[5] - y) <= size * 0.5 && item.transform[4] < x) at = i + 1;
    });
    if (at > 0 && out[at - 1].hasEOL) {
      // The line's end moves to the value that now ends it.
      out[at - 1] = { ...out[at - 1], hasEOL: false };
      field.hasEOL = true;
    }
    if (at < 0) at = out.findIndex((item) => item.str.trim() !== '' && item.transform[5] < y - size);
    if (at < 0) at = out.length;
    out.splice(at, 0, field);
  }
  return out;
}
