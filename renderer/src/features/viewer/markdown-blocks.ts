// Markdown read as a reader sees it, for the viewer: blocks and inline spans that keep their offsets into the
// source text, so a quote or a find match (offsets into the document's text) is highlighted where it is shown.
// Nothing here becomes markup: raw HTML in a document is shown as the text it is.

export type Inline =
  | { kind: 'text'; start: number; text: string }
  | { kind: 'code' | 'strong' | 'em' | 'link'; children: Inline[]; href?: string };

// `at`: where the block's source begins in the document, so the viewer finds the block an offset falls in.
// Blocks keep their lines of text; their inline spans (blockInlines) are read only for the blocks drawn, so a
// whole book is cut into blocks in one pass of line matching.
export type Block = { at: number } & (
  | { kind: 'heading'; level: number; lines: Line[] }
  | { kind: 'paragraph' | 'quote'; lines: Line[] }
  | { kind: 'list'; ordered: boolean; items: Line[] }
  | { kind: 'code'; start: number; text: string }
  | { kind: 'rule' }
);

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const ITEM = /^ {0,3}([-*+]|\d{1,9}[.)])[ \t]+/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const QUOTE = /^ {0,3}>[ \t]?/;

export interface Line {
  text: string;
  start: number;
}

function lines(text: string, offset: number): Line[] {
  const out: Line[] = [];
  for (let at = 0; at <= text.length; ) {
    const end = text.indexOf('\n', at);
    const stop = end < 0 ? text.length : end;
    out.push({ text: text.slice(at, stop), start: offset + at });
    at = stop + 1;
  }
  return out;
}

// `offset` is where `text` starts in the document.
export function markdownBlocks(text: string, offset = 0): Block[] {
  const blocks: Block[] = [];
  const all = lines(text, offset);
  let paragraph: Line[] = [];
  const flush = () => {
    if (paragraph.length) blocks.push({ kind: 'paragraph', at: paragraph[0].start, lines: paragraph });
    paragraph = [];
  };
  for (let i = 0; i < all.length; i++) {
    const line = all[i];
    const fence = FENCE.exec(line.text)?.[1];
    if (fence) {
      flush();
      const body: Line[] = [];
      for (i++; i < all.length; i++) {
        const close = FENCE.exec(all[i].text)?.[1];
        if (close && close[0] === fence[0] && close.length >= fence.length) break;
        body.push(all[i]);
      }
      blocks.push({ kind: 'code', at: line.start, start: body[0]?.start ?? line.start, text: body.map((l) => l.text).join('\n') });
      continue;
    }
    const atx = ATX.exec(line.text);
    if (atx) {
      flush();
      const start = line.start + line.text.indexOf(atx[2], atx[1].length);
      blocks.push({ kind: 'heading', at: line.start, level: atx[1].length, lines: [{ text: atx[2], start }] });
      continue;
    }
    const setext = SETEXT.exec(line.text);
    if (setext && paragraph.length === 1) {
      blocks.push({ kind: 'heading', at: paragraph[0].start, level: setext[1][0] === '=' ? 1 : 2, lines: paragraph });
      paragraph = [];
      continue;
    }
    if (RULE.test(line.text)) {
      flush();
      blocks.push({ kind: 'rule', at: line.start });
      continue;
    }
    const item = ITEM.exec(line.text);
    if (item) {
      flush();
      const ordered = /\d/.test(item[1]);
      const last = blocks.at(-1);
      const list = last?.kind === 'list' && last.ordered === ordered ? last : { kind: 'list' as const, at: line.start, ordered, items: [] };
      if (list !== last) blocks.push(list);
      list.items.push({ text: line.text.slice(item[0].length), start: line.start + item[0].length });
      continue;
    }
    const quote = QUOTE.exec(line.text);
    if (quote) {
      flush();
      blocks.push({ kind: 'quote', at: line.start, lines: [{ text: line.text.slice(quote[0].length), start: line.start + quote[0].length }] });
      continue;
    }
    if (line.text.trim() === '') flush();
    else paragraph.push(line);
  }
  flush();
  return blocks;
}

// The inline spans of a block's lines, the line breaks between them kept as text.
export function blockInlines(paragraph: Line[]): Inline[] {
  return paragraph.flatMap((line, i) => [...(i ? [{ kind: 'text' as const, start: line.start - 1, text: '\n' }] : []), ...inlines(line.text, line.start)]);
}

// Code spans, links and images (shown as their text), strong and emphasis; anything else is text.
const INLINE = /`([^`\n]+)`|!?\[([^\]\n]+)\]\(([^)\s]*)[^)]*\)|\*\*(.+?)\*\*|__(.+?)__|\*([^*\s](?:[^*]*[^*\s])?)\*|\b_([^_\s](?:[^_]*[^_\s])?)_\b/g;

function inlines(text: string, start: number): Inline[] {
  const out: Inline[] = [];
  let at = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > at) out.push({ kind: 'text', start: start + at, text: text.slice(at, m.index) });
    const [whole, code, label, href, strong, strong2, em, em2] = m;
    const inner = (s: string) => start + m.index + whole.indexOf(s);
    if (code !== undefined) out.push({ kind: 'code', children: [{ kind: 'text', start: inner(code), text: code }] });
    else if (label !== undefined) out.push({ kind: 'link', href, children: inlines(label, inner(label)) });
    else {
      const body = strong ?? strong2 ?? em ?? em2;
      out.push({ kind: strong !== undefined || strong2 !== undefined ? 'strong' : 'em', children: inlines(body, inner(body)) });
    }
    at = m.index + whole.length;
  }
  if (at < text.length) out.push({ kind: 'text', start: start + at, text: text.slice(at) });
  return out;
}
