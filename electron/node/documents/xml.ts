import { SaxesParser } from 'saxes';
import { QuireError } from '../../common/errors.ts';
import { MAX_XML_DEPTH, MAX_XML_NODES } from './limits.ts';

// A small element tree for the XML parts of EPUB and DOCX. Names keep no namespace prefix (`w:p` is `p`):
// the parts we read use fixed vocabularies and producers vary their prefixes.
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

export function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

// Entity declarations are how "billion laughs" and external-entity attacks start. saxes never expands them,
// but a part that declares any is refused outright rather than half-parsed.
export function refuseEntityDeclarations(doctype: string, label: string): void {
  if (/<!ENTITY/i.test(doctype)) {
    throw new QuireError('LIMIT_EXCEEDED', `${label}: XML entity declarations are refused (entity-expansion attack?)`);
  }
}

export function parseXml(text: string, label: string): XmlElement {
  const parser = new SaxesParser({ xmlns: false, position: false });
  const root: XmlElement = { name: '#document', attrs: {}, children: [] };
  const stack: XmlElement[] = [root];
  let nodes = 0;
  parser.on('doctype', (doctype) => refuseEntityDeclarations(doctype, label));
  parser.on('opentag', (tag) => {
    if (stack.length > MAX_XML_DEPTH) {
      throw new QuireError('LIMIT_EXCEEDED', `${label}: XML nested deeper than ${MAX_XML_DEPTH} elements`);
    }
    if (++nodes > MAX_XML_NODES) throw new QuireError('LIMIT_EXCEEDED', `${label}: more than ${MAX_XML_NODES} XML elements`);
    const element: XmlElement = { name: localName(tag.name), attrs: tag.attributes as Record<string, string>, children: [] };
    stack[stack.length - 1].children.push(element);
    stack.push(element);
  });
  parser.on('closetag', () => void stack.pop());
  const onText = (t: string) => void stack[stack.length - 1].children.push(t);
  parser.on('text', onText);
  parser.on('cdata', onText);
  try {
    parser.write(text).close();
  } catch (error) {
    if (error instanceof QuireError) throw error;
    throw new QuireError('CORRUPT', `${label}: malformed XML (${(error as Error).message.split('\n')[0]})`);
  }
  const top = root.children.find((c): c is XmlElement => typeof c !== 'string');
  if (!top) throw new QuireError('CORRUPT', `${label}: no XML root element`);
  return top;
}

export function attr(element: XmlElement, name: string): string | undefined {
  if (name in element.attrs) return element.attrs[name];
  for (const [key, value] of Object.entries(element.attrs)) if (localName(key) === name) return value;
  return undefined;
}

export function elements(element: XmlElement, name?: string): XmlElement[] {
  return element.children.filter((c): c is XmlElement => typeof c !== 'string' && (name === undefined || c.name === name));
}

export function firstElement(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === name);
}

// Depth-first, iteratively (trees are depth-capped, but the callers need not care).
export function descendants(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const stack: XmlElement[] = [element];
  while (stack.length) {
    const e = stack.pop()!;
    if (e !== element && e.name === name) found.push(e);
    for (let i = e.children.length - 1; i >= 0; i--) {
      const c = e.children[i];
      if (typeof c !== 'string') stack.push(c);
    }
  }
  return found;
}

export function textContent(element: XmlElement): string {
  let text = '';
  const stack: XmlNode[] = [element];
  while (stack.length) {
    const node = stack.pop()!;
    if (typeof node === 'string') text += node;
    else for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
  }
  return text;
}
