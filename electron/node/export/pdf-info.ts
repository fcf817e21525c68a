// A printed PDF names the browser that printed it (Creator "Mozilla/5.0 … HeadlessChrome/…"). Quire's PDFs
// name Quire: an incremental update appended to the file gives it a new document information dictionary,
// which every reader takes over the old one, without rewriting (or re-parsing) what Chromium wrote.

export interface PdfInfo {
  title: string;
  creator: string;
  producer: string;
}

// A text string any reader decodes: UTF-16BE with its byte-order mark, written in hex.
function textString(text: string): string {
  let hex = 'FEFF';
  for (let i = 0; i < text.length; i++) hex += text.charCodeAt(i).toString(16).padStart(4, '0').toUpperCase();
  return `<${hex}>`;
}

function pdfDate(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `D:${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}Z`;
}

// Chromium's (Skia's) PDFs end with a classic trailer; one without (a cross-reference stream) is returned as
// printed rather than risk a file a reader cannot open.
export function withPdfInfo(pdf: Uint8Array<ArrayBuffer>, info: PdfInfo, now = new Date()): Uint8Array<ArrayBuffer> {
  const tail = new TextDecoder('latin1').decode(pdf.subarray(Math.max(0, pdf.length - 2048)));
  const trailer = /trailer\s*<<([\s\S]*?)>>\s*startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
  const size = trailer && /\/Size\s+(\d+)/.exec(trailer[1]);
  const root = trailer && /\/Root\s+(\d+\s+\d+\s+R)/.exec(trailer[1]);
  if (!trailer || !size || !root) return pdf;
  const id = Number(size[1]);
  const head = pdf[pdf.length - 1] === 0x0a ? '' : '\n';
  const objectAt = pdf.length + head.length;
  const object = `${id} 0 obj\n<</Title ${textString(info.title)} /Creator ${textString(info.creator)} /Producer ${textString(info.producer)} /CreationDate (${pdfDate(now)})>>\nendobj\n`;
  const xrefAt = objectAt + object.length;
  const update =
    `${head}${object}xref\n${id} 1\n${String(objectAt).padStart(10, '0')} 00000 n \n` +
    `trailer\n<</Size ${id + 1} /Root ${root[1]} /Info ${id} 0 R /Prev ${trailer[2]}>>\nstartxref\n${xrefAt}\n%%EOF\n`;
  const out = new Uint8Array(pdf.length + update.length);
  out.set(pdf);
  out.set(new TextEncoder().encode(update), pdf.length);
  return out;
}
