// EBCDIC, the code of IBM mainframes, as text files still come from them: no byte of its text is where ASCII
// has it (the space is 0x40, letters sit at 0x81–0xE9), so no ASCII-based detector reads it. Code page 500
// (International Latin-1) is read; its text shows itself by 0x40 spaces and neither ASCII spaces nor ASCII
// newlines (its lines end in 0x15 or 0x25, or it is fixed-length records), which also tells it from ASCII text
// with many @ signs: Hebrew EBCDIC is all 7-bit bytes, so this is tried before UTF-8. Other EBCDIC code
// pages (IBM420 Arabic, IBM424 Hebrew) do not read as plausible text through it and are refused by name.

// Code page 500, byte by byte (Python's cp500 codec), with NEL (0x15), EBCDIC's line end, read as a newline.
const CP500 = [
  '\u0000\u0001\u0002\u0003\u009c\u0009\u0086\u007f\u0097\u008d\u008e\u000b\u000c\u000d\u000e\u000f\u0010\u0011\u0012\u0013\u009d\u000a\u0008\u0087\u0018\u0019\u0092\u008f\u001c\u001d\u001e\u001f',
  '\u0080\u0081\u0082\u0083\u0084\u000a\u0017\u001b\u0088\u0089\u008a\u008b\u008c\u0005\u0006\u0007\u0090\u0091\u0016\u0093\u0094\u0095\u0096\u0004\u0098\u0099\u009a\u009b\u0014\u0015\u009e\u001a',
  ' \u00a0âäàáãåçñ[.<(+!&éêëèíîïìß]$*);^',
  '-/ÂÄÀÁÃÅÇÑ¦,%_>?øÉÊËÈÍÎÏÌ`:#@\'="',
  'Øabcdefghi«»ðýþ±°jklmnopqrªºæ¸Æ¤',
  'µ~stuvwxyz¡¿ÐÝÞ®¢£¥·©§¶¼½¾¬|¯¨´×',
  '{ABCDEFGHI\u00adôöòóõ}JKLMNOPQR¹ûüùúÿ',
  '\\÷STUVWXYZ²ÔÖÒÓÕ0123456789³ÛÜÙÚ\u009f',
].join('');

const SPACE = 0x40;
const ASCII_SPACE = 0x20;
const ASCII_NEWLINE = 0x0a;

export function looksEbcdic(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 65536);
  let spaces = 0;
  let asciiBreaks = 0;
  for (let i = 0; i < n; i++) {
    if (bytes[i] === SPACE) spaces++;
    else if (bytes[i] === ASCII_SPACE || bytes[i] === ASCII_NEWLINE) asciiBreaks++;
  }
  return n >= 16 && spaces >= n * 0.05 && asciiBreaks < spaces * 0.02;
}

export function decodeEbcdic(bytes: Uint8Array): string {
  const chunks: string[] = [];
  for (let i = 0; i < bytes.length; i += 65536) {
    chunks.push(Array.from(bytes.subarray(i, i + 65536), (b) => CP500[b]).join(''));
  }
  return chunks.join('');
}
