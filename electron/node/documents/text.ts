import { READABLE_FORMATS, type Anchor, type DocumentModel } from '../../common/document.ts';
import { QuireError } from '../../common/errors.ts';
import { decodeText, looksBinary } from './decode.ts';
import { TextBuilder } from './text-builder.ts';

// `nul` replaces NUL characters before the binary-data check (WebVTT reads them as U+FFFD).
export function decodePlain(bytes: Uint8Array, declared?: string, options: { html?: boolean; nul?: string } = {}): { text: string; warnings: string[] } {
  const decoded = decodeText(bytes, declared, options);
  const text = options.nul === undefined ? decoded.text : decoded.text.replaceAll('\0', options.nul);
  const { warnings } = decoded;
  if (looksBinary(text)) throw new QuireError('UNSUPPORTED_FORMAT', `binary data, not text: Quire reads ${READABLE_FORMATS}`);
  return { text: text.replace(/\r\n?/g, '\n'), warnings };
}

interface MarkdownHeading {
  level: number;
  label: string;
  start: number;
}

// ATX (`## Title`) and setext (`Title` over `===`/`---`) headings outside fenced code blocks.
function markdownHeadings(text: string): MarkdownHeading[] {
  const headings: MarkdownHeading[] = [];
  let fence: string | undefined;
  let previous: { text: string; start: number } | undefined;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    const fenceMark = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (fenceMark && fenceMark[0] === fence[0] && fenceMark.length >= fence.length) fence = undefined;
      previous = undefined;
    } else if (fenceMark) {
      fence = fenceMark;
      previous = undefined;
    } else {
      const atx = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(line);
      const setext = /^ {0,3}(=+|-+)[ \t]*$/.exec(line);
      if (atx) {
        headings.push({ level: atx[1].length, label: atx[2] ?? '', start });
        previous = undefined;
      } else if (setext && previous && !/^ {0,3}([-*+>]|\d+[.)])\s/.test(previous.text)) {
        headings.push({ level: setext[1][0] === '=' ? 1 : 2, label: previous.text.trim(), start: previous.start });
        previous = undefined;
      } else {
        previous = line.trim() === '' ? undefined : { text: line, start };
      }
    }
    start = end + 1;
  }
  return headings;
}

// A heading's anchor runs to the next heading of the same or a higher level.
function sectionAnchors(headings: MarkdownHeading[], length: number): Anchor[] {
  const anchors: Anchor[] = [];
  const open: Array<{ level: number; anchor: Anchor }> = [];
  for (const h of headings) {
    while (open.length && open[open.length - 1].level >= h.level) open.pop()!.anchor.end = h.start;
    const anchor: Anchor = { kind: 'heading', label: h.label.trim(), start: h.start, end: length };
    anchors.push(anchor);
    open.push({ level: h.level, anchor });
  }
  return anchors.filter((a) => a.label !== '');
}

export function extractText(bytes: Uint8Array, title: string, markdown: boolean): DocumentModel {
  const { text: decoded, warnings } = decodePlain(bytes);
  const builder = new TextBuilder();
  builder.append(decoded.trim());
  const model = builder.model(markdown ? 'md' : 'txt', title, warnings);
  if (markdown) {
    const headings = markdownHeadings(model.text);
    model.anchors = sectionAnchors(headings, model.chars);
    const h1 = headings.find((h) => h.level === 1 && h.label);
    if (h1) model.title = h1.label;
  }
  return model;
}
