// XFA form data. An XFA form (made in Adobe's LiveCycle or AEM Designer) keeps what its user typed in the
// datasets packet of the /AcroForm's /XFA entry, an XML document that a viewer without XFA — pdf.js as Quire runs
// it — never draws: a dynamic form's pages hold only its printed text, and a static form's widgets may hold no
// value of their own. pdf.js gives no access to the packets, so the file's streams are searched for one
// (pdf-streams.ts); of several, the last in the file is the current one (a save appends the new packet).
import type { FieldAnnotation } from './pdf-form.ts';
import { MAX_XFA_DATASETS_BYTES } from './limits.ts';
import { decodeStream, pdfStreams, type PdfStream } from './pdf-streams.ts';
import { elements, firstElement, parseXml, textContent, type XmlElement } from './xml.ts';

export interface XfaField {
  // Its data path, each name with its position among same-named siblings as XFA names fields: form1[0].Address[0].City[0].
  path: string;
  // The names below the form's root, as a reader is shown them: Address.City (Item[1].Qty where a name repeats).
  label: string;
  value: string;
}

const DATA_NAMESPACE = 'http://www.xfa.org/schema/xfa-data/';

// Every field of the form's data, with or without a value, in document order; none where the file has no
// readable datasets packet.
export async function readXfaFields(bytes: Uint8Array, password?: string): Promise<XfaField[]> {
  let datasets: XmlElement | undefined;
  for (const stream of pdfStreams(bytes, password)) {
    if (/\/Subtype\s*\/Image\b|\/Length[123]\b|\/Type\s*\/(?:XRef|ObjStm)\b/.test(stream.dict)) continue;
    const text = await xmlText(stream);
    if (!text?.includes(DATA_NAMESPACE)) continue;
    try {
      const root = parseXml(text, 'XFA datasets');
      const found = root.name === 'datasets' ? root : firstElement(root, 'datasets');
      if (found) datasets = found;
    } catch {
      // A damaged packet is passed over, as pdf.js passes it over.
    }
  }
  const data = datasets && firstElement(datasets, 'data');
  return data ? elements(data).flatMap((form) => fieldsOf(form, `${form.name}[0]`, [])) : [];
}

// The stream's decoded text where it is XML (its first character `<`, after a byte-order mark), up to MAX_XFA_DATASETS_BYTES; content
// streams, fonts and the rest stop after their first chunk.
async function xmlText(stream: PdfStream): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  const notXml = new Error('not XML');
  try {
    await decodeStream(stream, (chunk) => {
      if (length === 0 && !/^(?:\xef\xbb\xbf)?\s*</.test(chunk.toString('latin1', 0, 64))) return notXml;
      chunks.push(chunk);
      length += chunk.length;
      return length > MAX_XFA_DATASETS_BYTES ? notXml : undefined;
    });
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '');
}

// A data element is a field when it holds text only, a list of <value> items (a multiple choice), or XHTML
// (rich text); otherwise it is a group of fields.
function fieldsOf(element: XmlElement, path: string, names: string[]): XfaField[] {
  const children = elements(element);
  const rich = children.some((c) => c.name === 'body' || c.name === 'html');
  if (children.length === 0 || rich || children.every((c) => c.name === 'value')) {
    const value = children.length && !rich ? children.map(textContent).join(', ') : textContent(element);
    return names.length ? [{ path, label: names.join('.'), value: value.replace(/\s+/g, ' ').trim() }] : [];
  }
  const seen = new Map<string, number>();
  return children.flatMap((child) => {
    const position = seen.get(child.name) ?? 0;
    seen.set(child.name, position + 1);
    const repeated = children.filter((c) => c.name === child.name).length > 1;
    return fieldsOf(child, `${path}.${child.name}[${position}]`, [...names, repeated ? `${child.name}[${position}]` : child.name]);
  });
}

// The data field a widget shows: the one at the widget's full name less the unnamed subforms' `#subform[0]`
// steps (which leave nothing in the data), else, as pdf.js looks a widget's value up, the first field of the
// widget's own name at its position.
function fieldOf(fields: readonly XfaField[], fieldName: string): XfaField | undefined {
  const steps = fieldName
    .split('.')
    .filter((step) => step && !step.startsWith('#'))
    .map((step) => (/\[\d+\]$/.test(step) ? step : `${step}[0]`));
  const path = steps.join('.');
  const last = `.${steps.at(-1)}`;
  return fields.find((f) => f.path === path) ?? fields.find((f) => f.path.endsWith(last));
}

// The page's widgets with the values the form's data gives them (an XFA processor such as Acrobat shows the
// data, which it keeps in step with each field's own value), and the data paths its widgets show, which are
// not read again at the end of the document.
export function withXfaValues(annotations: FieldAnnotation[], fields: readonly XfaField[]): { annotations: FieldAnnotation[]; shown: string[] } {
  if (fields.length === 0) return { annotations, shown: [] };
  const shown: string[] = [];
  const out = annotations.map((annotation) => {
    const field = annotation.subtype === 'Widget' && annotation.fieldName ? fieldOf(fields, annotation.fieldName) : undefined;
    if (!field) return annotation;
    shown.push(field.path);
    return field.value ? { ...annotation, fieldValue: field.value } : annotation;
  });
  return { annotations: out, shown };
}
