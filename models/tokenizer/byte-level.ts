// GPT-2 style byte-level alphabet used by Llama-3: every byte maps to one printable code point so that
// vocabulary entries are valid strings. Printable Latin-1 bytes map to themselves; the rest are shifted
// past U+0100 in byte order.

function isPrintable(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

function buildByteOrder(): number[] {
  const order: number[] = [];
  for (let b = 0; b < 256; b++) if (isPrintable(b)) order.push(b);
  for (let b = 0; b < 256; b++) if (!isPrintable(b)) order.push(b);
  return order;
}

// Bytes in the order byte-level BPE vocabularies list them (ids 0..255 of Llama-3 follow this order).
export const BYTE_ORDER: readonly number[] = buildByteOrder();

// BYTE_TO_CHAR[b] is the single-character symbol for byte b.
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const table = new Array<string>(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCharCode(isPrintable(b) ? b : 256 + shifted++);
  }
  return table;
})();

// Indexed by code point (all symbols are below U+0144); -1 where a code point is not a byte symbol.
const CHAR_TO_BYTE: Int16Array = (() => {
  const table = new Int16Array(0x144).fill(-1);
  for (let b = 0; b < 256; b++) table[BYTE_TO_CHAR[b].charCodeAt(0)] = b;
  return table;
})();

export function bytesToSymbols(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_CHAR[bytes[i]];
  return out;
}

// Returns null when the string holds a character outside the byte alphabet (an added token's content).
export function symbolsToBytes(symbols: string): Uint8Array | null {
  const out = new Uint8Array(symbols.length);
  for (let i = 0; i < symbols.length; i++) {
    const c = symbols.charCodeAt(i);
    const b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    if (b < 0) return null;
    out[i] = b;
  }
  return out;
}
