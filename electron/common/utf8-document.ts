// A document as an import hands it on (parser → database → tokenizer): its text as UTF-8 bytes, so that the app's
// main thread never builds a book as a JS string (4M characters for a 1M-token book, copied and collected at each
// step, tens of milliseconds each). `chars` is still the text's length in UTF-16 code units. A module of its own,
// without document.ts's schemas: a parser process that loaded zod for these would start 100 ms later.
import type { DocumentModel, DocumentOutline } from './document.ts';

export type Utf8Document = DocumentOutline & { utf8: Uint8Array };

export function toUtf8({ text, ...outline }: DocumentModel): Utf8Document {
  return { ...outline, utf8: new TextEncoder().encode(text) };
}

export function fromUtf8({ utf8, ...outline }: Utf8Document): DocumentModel {
  return { ...outline, text: new TextDecoder().decode(utf8) };
}
