import type { DocumentModel } from '../../common/document.ts';
import { findElement, parseHtml, renderMarkup } from './markup.ts';
import { decodePlain } from './text.ts';
import { TextBuilder } from './text-builder.ts';
import { refuseEntityDeclarations, textContent, type XmlElement } from './xml.ts';
import { metadataTitle } from './detect.ts';

export const FLATTENED_WARNING = 'markup nested too deeply was flattened (its text is kept)';

// An HTML file's element tree, decoded by its BOM, its meta charset or detection; an HTML part inside another
// format (a DOCX altChunk) is read the same way.
export function readHtml(bytes: Uint8Array): { root: XmlElement; warnings: string[] } {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 2048));
  const charset = /<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._-]+)/i.exec(head)?.[1];
  const { text, warnings } = decodePlain(bytes, charset, { html: true });
  const doctype = /<!DOCTYPE[^[>]*(\[[\s\S]*?\])?\s*>/i.exec(text.slice(0, 65536));
  if (doctype) refuseEntityDeclarations(doctype[0], 'HTML');
  const { root, flattened } = parseHtml(text);
  if (flattened) warnings.push(FLATTENED_WARNING);
  return { root, warnings };
}

export function extractHtml(bytes: Uint8Array, fallbackTitle: string): DocumentModel {
  const { root, warnings } = readHtml(bytes);
  const builder = new TextBuilder();
  const body = findElement(root, 'body') ?? root;
  renderMarkup(builder, body);
  const titleElement = findElement(root, 'title');
  const model = builder.model('html', metadataTitle(titleElement ? textContent(titleElement) : ''), warnings);
  if (!model.title) model.title = model.anchors.find((a) => a.kind === 'heading')?.label || fallbackTitle;
  return model;
}
