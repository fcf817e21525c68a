import type { Anchor, DocumentModel } from '../../../../electron/common/document.ts';

export interface Section {
  label: string;
  kind: Anchor['kind'] | 'part';
  start: number;
  end: number;
}

// Characters per section when a document has no anchors to page by.
export const PLAIN_SECTION_CHARS = 6000;
const PAGING_KINDS = ['page', 'cue', 'chapter', 'heading'] as const;

// A document's sections — its pages, chapters, runs of subtitle cues, or parts cut by size — for the viewer's
// "Go to" list and page view. Text between or outside anchors is kept in the neighbouring section.
export function documentSections(doc: Pick<DocumentModel, 'text' | 'anchors'>): Section[] {
  const kind = PAGING_KINDS.find((k) => doc.anchors.some((a) => a.kind === k));
  if (kind) {
    const anchors = doc.anchors.filter((a) => a.kind === kind);
    const sections = anchors.map((a, i) => ({
      label: a.label,
      kind,
      start: i === 0 ? 0 : a.start,
      end: i === anchors.length - 1 ? doc.text.length : anchors[i + 1].start,
    }));
    // A cue is a line or two: read a page of them at a time, labelled by the first one's time.
    return kind === 'cue' ? groupSections(sections) : sections;
  }
  const sections: Section[] = [];
  for (let start = 0; start < doc.text.length || sections.length === 0; ) {
    let end = Math.min(doc.text.length, start + PLAIN_SECTION_CHARS);
    const paragraph = doc.text.lastIndexOf('\n\n', end);
    if (end < doc.text.length && paragraph > start) end = paragraph + 2;
    sections.push({ label: String(sections.length + 1), kind: 'part', start, end });
    start = end;
    if (start >= doc.text.length) break;
  }
  return sections;
}

function groupSections(sections: Section[]): Section[] {
  const out: Section[] = [];
  for (const s of sections) {
    const last = out.at(-1);
    if (last && s.end - last.start <= PLAIN_SECTION_CHARS) last.end = s.end;
    else out.push({ ...s });
  }
  return out;
}

// "Chapter 3" for a chapter labelled "3", but "Chapter One" rather than "Chapter Chapter One".
export function sectionTitle(kindLabel: string, label: string): string {
  if (!kindLabel || label.toLowerCase().startsWith(kindLabel.toLowerCase())) return label;
  return `${kindLabel} ${label}`;
}

// Offsets of every case-insensitive occurrence of `query` in a text given lower-cased (the viewer lowers a
// document once, not at every key typed), for find-in-document: all of them, however many.
export function findAll(lowered: string, query: string): number[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return [];
  const out: number[] = [];
  for (let at = lowered.indexOf(needle); at >= 0; at = lowered.indexOf(needle, at + needle.length)) out.push(at);
  return out;
}

export function sectionIndexAt(sections: Section[], offset: number): number {
  const index = sections.findIndex((s) => offset >= s.start && offset < s.end);
  return index < 0 ? 0 : index;
}
