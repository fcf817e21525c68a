import { QuireError } from '../../common/errors.ts';

export interface Decoded {
  text: string;
  encoding: string;
  warnings: string[];
}

function tryDecode(bytes: Uint8Array, encoding: string): string | undefined {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

function bomEncoding(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return undefined;
}

// Text in UTF-16 without a BOM shows as zero bytes on one side of each code unit (mostly-Latin text, the
// only case that can be told apart from binary without a BOM).
function utf16Guess(bytes: Uint8Array): string | undefined {
  const n = Math.min(bytes.length, 4096) & ~1;
  if (n < 4) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZeros++;
    if (bytes[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (oddZeros > pairs * 0.4 && evenZeros < pairs * 0.05) return 'utf-16le';
  if (evenZeros > pairs * 0.4 && oddZeros < pairs * 0.05) return 'utf-16be';
  return undefined;
}

// Plain text: a BOM wins, then strict UTF-8, then UTF-16 without a BOM, then the encoding the file declares
// (HTML's meta charset) or else windows-1252, which decodes any byte sequence and so comes last and says so.
export function decodeText(bytes: Uint8Array, declared?: string): Decoded {
  const bom = bomEncoding(bytes);
  if (bom) {
    const text = tryDecode(bytes, bom);
    if (text !== undefined) return { text, encoding: bom, warnings: [] };
    return {
      text: new TextDecoder(bom).decode(bytes),
      encoding: bom,
      warnings: [`the file starts with a ${bom} byte-order mark but holds invalid ${bom}; bad bytes were replaced`],
    };
  }
  const utf8 = tryDecode(bytes, 'utf-8');
  if (utf8 !== undefined) return { text: utf8, encoding: 'utf-8', warnings: [] };
  const utf16 = utf16Guess(bytes);
  if (utf16) {
    const text = tryDecode(bytes, utf16);
    if (text !== undefined) return { text, encoding: utf16, warnings: [] };
  }
  if (declared && declared.toLowerCase() !== 'utf-8') {
    const text = tryDecode(bytes, declared);
    if (text !== undefined) return { text, encoding: declared, warnings: [] };
  }
  return {
    text: new TextDecoder('windows-1252').decode(bytes),
    encoding: 'windows-1252',
    warnings: ['the text is not valid UTF-8 or UTF-16; it was read as windows-1252'],
  };
}

// Binary data decodes "successfully" as windows-1252; it shows itself by control characters that text never has.
export function looksBinary(text: string): boolean {
  const sample = text.slice(0, 65536);
  if (sample.length === 0) return false;
  const controls = sample.match(/[\u0000-\u0008\u000E-\u001F]/g)?.length ?? 0;
  return controls > sample.length * 0.01;
}

// XML parts of EPUB and DOCX: a BOM, else the encoding the declaration names, else UTF-8, strictly.
export function decodeXml(bytes: Uint8Array, label: string): string {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 200));
  const declared = /^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
  const encoding = bomEncoding(bytes) ?? utf16Guess(bytes) ?? declared ?? 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch {
    throw new QuireError('CORRUPT', `${label}: unknown encoding "${encoding}"`);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new QuireError('CORRUPT', `${label}: not valid ${encoding}`);
  }
}
