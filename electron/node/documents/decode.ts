import { analyse } from 'chardet';
import { QuireError } from '../../common/errors.ts';
import { CODE_PAGES, decodeCodePage } from './code-pages.ts';
import { decodeEbcdic, looksEbcdic } from './ebcdic.ts';
import { plausibility } from './plausible-text.ts';

export interface Decoded {
  text: string;
  encoding: string;
  warnings: string[];
  // The detector's confidence (0–100) when the encoding was guessed.
  confidence?: number;
}

function tryDecode(bytes: Uint8Array, encoding: string): string | undefined {
  if (CODE_PAGES.includes(encoding.toLowerCase())) return decodeCodePage(bytes, encoding.toLowerCase());
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

// Encodings a byte-order mark names; UTF-32's marks are tested first because UTF-32LE's starts like UTF-16LE's.
function bomEncoding(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe && bytes[2] === 0 && bytes[3] === 0) return 'utf-32le';
  if (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff) return 'utf-32be';
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return undefined;
}

// TextDecoder has no UTF-32 (the Encoding Standard left it out), so it is read here: four bytes a code point
// from `from` (past a BOM, if any), anything outside Unicode or a surrogate replaced by U+FFFD and counted.
function decodeUtf32(bytes: Uint8Array, bigEndian: boolean, from: number): { text: string; bad: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: string[] = [];
  let codes: number[] = [];
  let bad = 0;
  for (let i = from; i + 4 <= bytes.length; i += 4) {
    const code = view.getUint32(i, !bigEndian);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      bad++;
      codes.push(0xfffd);
    } else {
      codes.push(code);
    }
    // String.fromCodePoint takes its code points as arguments: flush in slices the stack can hold.
    if (codes.length === 8192) {
      chunks.push(String.fromCodePoint(...codes));
      codes = [];
    }
  }
  chunks.push(String.fromCodePoint(...codes));
  if ((bytes.length - from) % 4) bad++;
  return { text: chunks.join(''), bad };
}

// UTF-16 without a BOM shows itself by zero bytes: every ASCII character (spaces, newlines, digits) has one
// on the same side of its code unit, and no legacy 8-bit or multibyte encoding ever writes a zero byte. CJK
// text has few ASCII characters, so a small share suffices as long as the other side has clearly fewer
// (U+4E00 "一" and a few others put a zero on that side too). The decoded text must then hold no unpaired
// surrogates, and the binary-data check still follows.
function utf16Guess(bytes: Uint8Array): string | undefined {
  const n = Math.min(bytes.length, 65536) & ~1;
  if (n < 4) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZeros++;
    if (bytes[i + 1] === 0) oddZeros++;
  }
  const enough = Math.max(1, (n / 2) * 0.01);
  if (oddZeros >= enough && oddZeros > evenZeros * 4) return 'utf-16le';
  if (evenZeros >= enough && evenZeros > oddZeros * 4) return 'utf-16be';
  return undefined;
}

// UTF-32 without a BOM: every code point has a zero high byte and a next byte of at most 0x10, which the
// text of no other encoding repeats in every group of four bytes (UTF-16 would need every other character to
// be a control character).
function utf32Guess(bytes: Uint8Array): 'utf-32le' | 'utf-32be' | undefined {
  const n = Math.min(bytes.length, 65536) & ~3;
  if (n < 8 || bytes.length % 4) return undefined;
  let le = true;
  let be = true;
  for (let i = 0; i < n && (le || be); i += 4) {
    if (bytes[i + 3] !== 0 || bytes[i + 2] > 0x10) le = false;
    if (bytes[i] !== 0 || bytes[i + 1] > 0x10) be = false;
  }
  if (le === be) return undefined;
  return le ? 'utf-32le' : 'utf-32be';
}

// Labels the detector names that TextDecoder reads differently: ISO-8859-8 would be decoded in visual order,
// while files hold logical-order Hebrew, for which windows-1255 is the superset (it adds points and
// punctuation); ISO-8859-1 is windows-1252 under the Encoding Standard anyway.
const DETECTED_ENCODING: Record<string, string> = {
  'ISO-8859-8': 'windows-1255',
  'ISO-8859-1': 'windows-1252',
};
// Below this confidence (the detector's 0–100) the guess is kept but the user is told it is one.
const CONFIDENT = 50;
// The detector's statistics settle within the first few hundred kilobytes; reading all of a 200 MB file
// would only cost time.
const DETECTION_SAMPLE = 256 * 1024;

// The markup of an HTML file is ASCII in every encoding and would dilute the detector's statistics:
// only the text between tags is shown to it ("<" and ">" never occur inside a multibyte character of the
// encodings it knows).
function withoutTags(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  let inTag = false;
  for (const b of bytes) {
    if (b === 0x3c) inTag = true;
    else if (b === 0x3e && inTag) {
      inTag = false;
      out[n++] = 0x20;
    } else if (!inTag) out[n++] = b;
  }
  return out.subarray(0, n);
}

// Single-byte encodings the detector does not name or ranks below a wrong one: IBM866 (DOS Russian, which it
// does not know), Mac Cyrillic (which it ranks below windows-1251, whose capitals are its punctuation), the
// Central European and Cyrillic Windows code pages (Croatian read as windows-1252 gives "ðino" for "đino"), and
// the ISO Latin pages that have no Windows twin (Latvian in ISO-8859-4 read as windows-1257 gives "dzîvi"), and
// the DOS and Mac code pages TextDecoder has no table for (code-pages.ts).
const EXTRA_CANDIDATES = ['ibm866', 'x-mac-cyrillic', 'windows-1250', 'windows-1251', 'iso-8859-3', 'iso-8859-4', 'iso-8859-10', 'iso-8859-16', ...CODE_PAGES];
// How much more plausible (plausible-text.ts) another candidate's text must be to overrule the detector's first.
const PLAUSIBILITY_MARGIN = 0.1;
// A text at least this plausible is not called a guess, whatever the detector's confidence.
const PLAUSIBLE = 0.95;

const MULTIBYTE = /^(?:shift_jis|euc-jp|euc-kr|big5|gb18030|gbk|gb2312|iso-2022)/i;

const label = (encoding: string) => (!CODE_PAGES.includes(encoding) && new TextDecoder(encoding).encoding === 'windows-1252' ? 'windows-1252' : encoding);

// The detector's candidates, best first, and the extra ones; the detector's first that decodes the whole file
// without an invalid sequence wins unless another candidate's text is clearly more plausible: the detector's
// statistics alone confuse single-byte encodings, which decode any byte.
function detectLegacy(bytes: Uint8Array, html: boolean): Decoded | undefined {
  const sample = html ? withoutTags(bytes.subarray(0, DETECTION_SAMPLE * 4)).subarray(0, DETECTION_SAMPLE) : bytes.subarray(0, DETECTION_SAMPLE);
  const matches = analyse(sample).filter((m) => m.confidence > 0 && !/^(?:UTF-|ASCII)/i.test(m.name));
  const candidates = [...new Set([...matches.map((m) => DETECTED_ENCODING[m.name] ?? m.name), ...EXTRA_CANDIDATES])]
    .map((encoding) => ({ encoding, confidence: matches.find((m) => (DETECTED_ENCODING[m.name] ?? m.name) === encoding)?.confidence }))
    .filter(({ encoding }) => tryDecode(new Uint8Array(0), encoding) !== undefined)
    .map((c) => {
      const text = tryDecode(sample, c.encoding) ?? new TextDecoder(c.encoding).decode(sample);
      return { ...c, text, score: plausibility(text) };
    });
  const detected = candidates.filter((c) => c.confidence !== undefined);
  let chosen = detected.find((c) => tryDecode(bytes, c.encoding) !== undefined);
  // A multibyte encoding that decodes the whole file strictly is already strong evidence; only single-byte
  // reads, which never fail, are weighed against each other.
  if (chosen && MULTIBYTE.test(chosen.encoding)) candidates.splice(0, candidates.length, chosen);
  for (const c of candidates) {
    if (MULTIBYTE.test(c.encoding)) continue;
    if (c.score >= (chosen?.score ?? 0) + PLAUSIBILITY_MARGIN && c.score >= PLAUSIBLE && tryDecode(bytes, c.encoding) !== undefined) chosen = c;
  }
  if (!chosen) return undefined;
  const text = tryDecode(bytes, chosen.encoding)!;
  const picked = chosen;
  const name = label(chosen.encoding);
  const confidence = chosen.confidence ?? Math.round(chosen.score * 100);
  // An unsure detector is not called a guess when the text it gives is plausible and no other encoding gives
  // a different text nearly as plausible ("caffè" in windows-1252 is "caffč" in windows-1250).
  const rival = candidates.some((c) => c.text !== picked.text && c.score > picked.score - PLAUSIBILITY_MARGIN);
  const warnings =
    confidence < CONFIDENT && (chosen.score < PLAUSIBLE || rival)
      ? [`the text is not UTF-8; it was read as ${name} (detected with low confidence, ${confidence}%): some characters may be wrong`]
      : [];
  return { text, encoding: name, warnings, confidence };
}

// EBCDIC text (ebcdic.ts): read through code page 500 when that gives plausible text, else refused by name.
function detectEbcdic(bytes: Uint8Array): Decoded | undefined {
  if (!looksEbcdic(bytes)) return undefined;
  const text = decodeEbcdic(bytes);
  if (plausibility(text) < PLAUSIBLE) {
    throw new QuireError('UNSUPPORTED_FORMAT', 'EBCDIC text in a code page other than IBM500 (Latin-1), which Quire does not read: convert it to UTF-8');
  }
  return { text, encoding: 'IBM500 (EBCDIC)', warnings: [] };
}

// The 7-bit encodings of old Japanese and Korean mail are valid UTF-8, but their escape sequences would be read
// as control characters and the file refused as binary: they show themselves by those escapes in a start of
// 7-bit bytes (a later byte above 0x7f fails the strict decoders).
function sevenBitHead(bytes: Uint8Array): string | undefined {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, DETECTION_SAMPLE));
  return /[\x80-\xff]/.test(head) ? undefined : head;
}

// ISO-2022-JP: escapes into JIS X 0208 (ESC $ @, ESC $ B), which every text with Japanese in it holds.
const ISO_2022_JP = /\x1b\$[@B]/;
// ISO-2022-KR (RFC 1557): the header ESC $ ) C, then SO and SI switch between ASCII and KS X 1001 in 7-bit
// bytes, each line starting in ASCII. Setting the high bit of the shifted bytes gives EUC-KR, which
// TextDecoder reads (the Encoding Standard maps the label iso-2022-kr itself to its replacement decoder).
const ISO_2022_KR = '\x1b$)C';

function decodeIso2022Kr(bytes: Uint8Array): string | undefined {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  let shifted = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x1b && bytes[i + 1] === 0x24 && bytes[i + 2] === 0x29 && bytes[i + 3] === 0x43) i += 3;
    else if (b === 0x0e || b === 0x0f) shifted = b === 0x0e;
    else {
      if (b === 0x0a || b === 0x0d) shifted = false;
      out[n++] = shifted && b > 0x20 ? b | 0x80 : b;
    }
  }
  return tryDecode(out.subarray(0, n), 'euc-kr');
}

// Plain text: a BOM wins, then strict UTF-8 unless zero bytes say UTF-32 or UTF-16, escapes say ISO-2022 or
// spaces say EBCDIC, then the encoding the file declares (HTML's meta charset), then the detector's guess
// checked against the text's plausibility, and last windows-1252, which decodes any byte sequence and says so.
export function decodeText(bytes: Uint8Array, declared?: string, { html = false } = {}): Decoded {
  const bom = bomEncoding(bytes);
  if (bom === 'utf-32le' || bom === 'utf-32be') {
    const { text, bad } = decodeUtf32(bytes, bom === 'utf-32be', 4);
    const warnings = bad ? [`the file starts with a ${bom} byte-order mark but holds ${bad} invalid code points; they were replaced`] : [];
    return { text, encoding: bom, warnings };
  }
  if (bom) {
    const text = tryDecode(bytes, bom);
    if (text !== undefined) return { text, encoding: bom, warnings: [] };
    return {
      text: new TextDecoder(bom).decode(bytes),
      encoding: bom,
      warnings: [`the file starts with a ${bom} byte-order mark but holds invalid ${bom}; bad bytes were replaced`],
    };
  }
  // UTF-16 and UTF-32 of ASCII text are valid UTF-8 (zero bytes are NUL characters), so the zero-byte tests
  // come first.
  const utf32 = utf32Guess(bytes);
  if (utf32) {
    const { text, bad } = decodeUtf32(bytes, utf32 === 'utf-32be', 0);
    if (bad === 0) return { text, encoding: utf32, warnings: [] };
  }
  const utf16 = utf16Guess(bytes);
  if (utf16) {
    const text = tryDecode(bytes, utf16);
    if (text !== undefined) return { text, encoding: utf16, warnings: [] };
  }
  const sevenBit = sevenBitHead(bytes);
  if (sevenBit && ISO_2022_JP.test(sevenBit)) {
    const text = tryDecode(bytes, 'iso-2022-jp');
    if (text !== undefined) return { text, encoding: 'iso-2022-jp', warnings: [] };
  }
  if (sevenBit?.includes(ISO_2022_KR)) {
    const text = decodeIso2022Kr(bytes);
    if (text !== undefined) return { text, encoding: 'iso-2022-kr', warnings: [] };
  }
  const ebcdic = detectEbcdic(bytes);
  if (ebcdic) return ebcdic;
  const utf8 = tryDecode(bytes, 'utf-8');
  if (utf8 !== undefined) return { text: utf8, encoding: 'utf-8', warnings: [] };
  if (declared && declared.toLowerCase() !== 'utf-8') {
    const text = tryDecode(bytes, declared);
    if (text !== undefined) return { text, encoding: declared, warnings: [] };
  }
  const detected = detectLegacy(bytes, html);
  if (detected) return detected;
  return {
    text: new TextDecoder('windows-1252').decode(bytes),
    encoding: 'windows-1252',
    warnings: ['the text is not valid UTF-8 or UTF-16; it was read as windows-1252'],
  };
}

// Binary data decodes "successfully" as windows-1252; it shows itself by control characters that text never has.
// A lone NUL between characters is not counted: text tools and mail clients (MSHTML pages) leave a few of them
// in otherwise ordinary text, while binary data has its zero bytes in runs (and other controls besides).
const BINARY_CONTROLS = /[\u0001-\u0008\u000E-\u001F]|\u0000{2,}/g;

export function looksBinary(text: string): boolean {
  const sample = text.slice(0, 65536);
  if (sample.length === 0) return false;
  let controls = 0;
  for (const run of sample.match(BINARY_CONTROLS) ?? []) controls += run.length;
  return controls > sample.length * 0.01;
}

function xmlEncoding(bytes: Uint8Array): string {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 200));
  const declared = /^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
  return bomEncoding(bytes) ?? utf16Guess(bytes) ?? declared ?? 'utf-8';
}

// XML parts of EPUB and DOCX: a BOM, else the encoding the declaration names, else UTF-8, strictly.
export function decodeXml(bytes: Uint8Array, label: string): string {
  const encoding = xmlEncoding(bytes);
  let decoder: InstanceType<typeof TextDecoder>;
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

// A part that one bad file should not sink (an EPUB chapter): strict decoding first; failing that, UTF-8
// that shows valid multibyte sequences is damaged UTF-8 and keeps its good text with U+FFFD for each bad
// sequence, while text with none was written in a legacy encoding (often windows-1252 under a UTF-8
// declaration), which the detector names. The warning says which, for the caller to name the part.
export function decodeXmlLenient(bytes: Uint8Array, label: string): { text: string; problem?: string } {
  try {
    return { text: decodeXml(bytes, label) };
  } catch (error) {
    if (!(error instanceof QuireError) || error.code !== 'CORRUPT') throw error;
  }
  const declared = xmlEncoding(bytes);
  const known = tryDecode(new Uint8Array(0), declared) !== undefined;
  const what = known ? `not valid ${declared === 'utf-8' ? 'UTF-8' : declared}` : `in an unknown encoding "${declared}"`;
  if (!known || /^utf-?8$/i.test(declared)) {
    const lenient = new TextDecoder('utf-8').decode(bytes);
    if (/[^\u0000-\u007f\ufffd]/.test(lenient)) {
      const bad = lenient.match(/\ufffd/g)?.length ?? 0;
      return { text: lenient, problem: `${what}; ${bad} invalid byte sequences were replaced` };
    }
  }
  const decoded = decodeText(bytes, undefined, { html: true });
  const guess = decoded.confidence !== undefined && decoded.confidence < CONFIDENT ? ` (detected with low confidence, ${decoded.confidence}%)` : '';
  return { text: decoded.text, problem: `${what}; it was read as ${decoded.encoding}${guess}` };
}
