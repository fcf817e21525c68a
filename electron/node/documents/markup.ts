import { parse } from 'parse5';
import type { DefaultTreeAdapterMap } from 'parse5';
import { MAX_XML_DEPTH } from './limits.ts';
import type { TextBuilder } from './text-builder.ts';
import { attr, textContent, type XmlElement } from './xml.ts';

type P5Node = DefaultTreeAdapterMap['node'];
type P5Parent = DefaultTreeAdapterMap['parentNode'];

// HTML through parse5 (the browsers' algorithm, entities decoded) into the same element tree the XML parser
// builds, so one renderer serves HTML files and EPUB chapters alike. Nesting beyond MAX_XML_DEPTH is
// flattened onto the deepest allowed element: its text survives and the renderer's recursion stays bounded.
export function parseHtml(html: string): { root: XmlElement; flattened: boolean } {
  const document = parse(html);
  const root: XmlElement = { name: '#document', attrs: {}, children: [] };
  let flattened = false;
  const stack: Array<[P5Node, XmlElement, number]> = [];
  const pushChildren = (node: P5Parent, parent: XmlElement, depth: number) => {
    const children = node.nodeName === 'template' ? [] : node.childNodes;
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], parent, depth]);
  };
  pushChildren(document, root, 0);
  while (stack.length) {
    const [node, parent, depth] = stack.pop()!;
    if (node.nodeName === '#text') {
      parent.children.push((node as DefaultTreeAdapterMap['textNode']).value);
    } else if ('tagName' in node) {
      if (depth >= MAX_XML_DEPTH) {
        flattened = true;
        pushChildren(node, parent, depth);
        continue;
      }
      const element: XmlElement = {
        name: node.tagName,
        attrs: Object.fromEntries(node.attrs.map((a) => [a.name, a.value])),
        children: [],
      };
      parent.children.push(element);
      pushChildren(node, element, depth + 1);
    }
  }
  return { root, flattened };
}

const SKIPPED = new Set([
  'head', 'script', 'style', 'noscript', 'template', 'svg', 'iframe', 'object', 'embed', 'canvas',
  'audio', 'video', 'select', 'datalist', 'button', 'input',
]);
const LINE_BLOCKS = new Set(['li', 'tr', 'dt', 'dd', 'option', 'caption', 'figcaption', 'summary', 'legend']);
const BLOCKS = new Set([
  'p', 'div', 'section', 'article', 'aside', 'header', 'footer', 'nav', 'main', 'ul', 'ol', 'dl', 'blockquote',
  'pre', 'figure', 'table', 'thead', 'tbody', 'tfoot', 'address', 'hr', 'details', 'form', 'fieldset', 'body',
  'html', 'center', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
]);

function hidden(element: XmlElement): boolean {
  if (attr(element, 'hidden') !== undefined) return true;
  if (attr(element, 'aria-hidden') === 'true') return true;
  const style = attr(element, 'style');
  return style !== undefined && /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)/i.test(style);
}

export function findElement(root: XmlElement, name: string): XmlElement | undefined {
  const stack: XmlElement[] = [root];
  while (stack.length) {
    const e = stack.pop()!;
    if (e.name === name) return e;
    for (let i = e.children.length - 1; i >= 0; i--) {
      const c = e.children[i];
      if (typeof c !== 'string') stack.push(c);
    }
  }
  return undefined;
}

// Visible text with block structure: blocks become paragraphs, list items and table rows lines, cells are
// joined with " | ", and every h1–h6 opens a heading anchor labelled with its own text.
// `onElement` sees each rendered element before its text (EPUB chapters start at an id the TOC names).
export function renderMarkup(builder: TextBuilder, element: XmlElement, preformatted = false, onElement?: (element: XmlElement) => void): void {
  for (const child of element.children) {
    if (typeof child === 'string') {
      if (preformatted) builder.append(child.replace(/\r\n?/g, '\n'));
      else builder.appendInline(child);
      continue;
    }
    const name = child.name.toLowerCase();
    if (SKIPPED.has(name) || hidden(child)) continue;
    onElement?.(child);
    if (name === 'math') {
      const display = attr(child, 'display') === 'block';
      if (display) builder.separate('\n\n');
      builder.appendInline(mathText(child));
      if (display) builder.separate('\n\n');
      continue;
    }
    if (name === 'br') {
      builder.separate('\n');
      continue;
    }
    const heading = /^h([1-6])$/.exec(name);
    const block = BLOCKS.has(name) ? '\n\n' : LINE_BLOCKS.has(name) ? '\n' : undefined;
    if (block) builder.separate(block);
    if ((name === 'td' || name === 'th') && hasPreviousCell(element, child)) {
      builder.separate(' ');
      builder.append('|');
      builder.separate(' ');
    }
    if (heading) {
      const anchor = builder.heading(Number(heading[1]), '');
      renderMarkup(builder, child, preformatted, onElement);
      anchor.label = builder.textSince(anchor);
    } else {
      renderMarkup(builder, child, preformatted || name === 'pre', onElement);
    }
    if (block) builder.separate(block);
  }
}

const MATH_TOKENS = new Set(['mi', 'mn', 'mo', 'mtext', 'ms']);
const TEX = new Set(['application/x-tex', 'text/x-tex', 'application/x-latex', 'text/x-latex']);

// A MathML formula as text: its alttext, which authors write for exactly this, else a TeX annotation, else
// its presentation tokens in order, one word each ("x = - b 2 a"), as a screen reader would read them out.
// Other annotations (content MathML, images) are not text.
function mathText(math: XmlElement): string {
  const alttext = attr(math, 'alttext')?.trim();
  if (alttext) return alttext;
  const tokens: string[] = [];
  let tex: string | undefined;
  const stack: XmlElement[] = [math];
  while (stack.length) {
    const e = stack.pop()!;
    const name = e.name.toLowerCase();
    if (name === 'annotation') {
      if (tex === undefined && TEX.has((attr(e, 'encoding') ?? '').toLowerCase())) tex = textContent(e).trim();
      continue;
    }
    if (name === 'annotation-xml') continue;
    if (MATH_TOKENS.has(name)) {
      tokens.push(textContent(e).trim());
      continue;
    }
    for (let i = e.children.length - 1; i >= 0; i--) {
      const c = e.children[i];
      if (typeof c !== 'string') stack.push(c);
    }
  }
  return tex || tokens.filter(Boolean).join(' ');
}

function hasPreviousCell(row: XmlElement, cell: XmlElement): boolean {
  for (const c of row.children) {
    if (c === cell) return false;
    if (typeof c !== 'string' && (c.name.toLowerCase() === 'td' || c.name.toLowerCase() === 'th')) return true;
  }
  return false;
}
