import './zod-csp.ts';
import { z } from 'zod';

// One model for every format: the whole text plus anchors whose [start, end) character offsets map any quote
// back to the page, chapter, heading or subtitle cue it came from. Anchors may nest (a heading inside a
// chapter) and come sorted by start.
export const DOCUMENT_FORMATS = ['pdf', 'epub', 'docx', 'txt', 'md', 'html', 'srt', 'vtt'] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

// A `comment` anchor spans a reviewer's comment together with the text it comments on (DOCX).
export const ANCHOR_KINDS = ['page', 'chapter', 'heading', 'cue', 'comment'] as const;
export type AnchorKind = (typeof ANCHOR_KINDS)[number];

export const AnchorSchema = z.object({
  kind: z.enum(ANCHOR_KINDS),
  label: z.string(),
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
});
export type Anchor = z.infer<typeof AnchorSchema>;

// A document without its text: what the viewer needs before the first screen's text (a 4 MB book's text is
// fetched in ranges, the screen in view first).
export const DocumentOutlineSchema = z.object({
  format: z.enum(DOCUMENT_FORMATS),
  title: z.string(),
  anchors: z.array(AnchorSchema),
  chars: z.number().int().nonnegative(),
  warnings: z.array(z.string()),
});
export type DocumentOutline = z.infer<typeof DocumentOutlineSchema>;

export const DocumentModelSchema = DocumentOutlineSchema.extend({ text: z.string() })
  .refine((d) => d.chars === d.text.length, { message: 'chars must equal text.length' })
  .refine((d) => d.anchors.every((a) => a.start <= a.end && a.end <= d.text.length), {
    message: 'anchors must lie inside text',
  });
export type DocumentModel = z.infer<typeof DocumentModelSchema>;

// Progress of an import: `done` of `total` units (pages, chapters, bytes or anchors, depending on the phase);
// 'ocr' is extraction while scanned pages are read by OCR (pages, seconds each).
export const ImportProgressSchema = z.object({
  phase: z.enum(['hash', 'extract', 'ocr', 'store']),
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
});
export type ImportProgress = z.infer<typeof ImportProgressSchema>;

// The anchor of a given kind that contains `offset` (the innermost when several nest), for citations.
export function anchorAt(doc: Pick<DocumentModel, 'anchors'>, offset: number, kind?: AnchorKind): Anchor | undefined {
  let best: Anchor | undefined;
  for (const a of doc.anchors) {
    if (a.start > offset) break;
    if ((kind === undefined || a.kind === kind) && offset < a.end && (!best || a.start >= best.start)) best = a;
  }
  return best;
}
