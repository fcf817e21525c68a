import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkPdfStreams } from '../../../electron/node/documents/pdf-guard.ts';
import { decodableChain, PDF_FILTERS } from '../../../electron/node/documents/pdf-filters.ts';
import { MAX_PDF_STREAM_BYTES } from '../../../electron/node/documents/limits.ts';
import { streamPdf } from './flate-bomb.ts';

async function decode(names: string[], data: Uint8Array): Promise<Buffer> {
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.push(chunk);
      done();
    },
  });
  await pipeline([Readable.from([data]) as NodeJS.ReadableStream, ...decodableChain(names).map((f) => f.decoder()), sink]);
  return Buffer.concat(out);
}

// Test-side encoders, the simplest correct ones (the decoders are checked against them and against the
// specification's own example).
const hex = (data: Buffer) => Buffer.from(`${data.toString('hex').replace(/(.{60})/g, '$1\n')}>`, 'latin1');
function ascii85(data: Buffer): Buffer {
  let out = '';
  for (let i = 0; i < data.length; i += 4) {
    const group = Buffer.alloc(4);
    data.copy(group, 0, i, i + 4);
    const n = Math.min(4, data.length - i);
    let value = group.readUInt32BE(0);
    if (value === 0 && n === 4) {
      out += 'z';
      continue;
    }
    const digits: string[] = [];
    for (let d = 0; d < 5; d++) {
      digits.unshift(String.fromCharCode(0x21 + (value % 85)));
      value = Math.floor(value / 85);
    }
    out += digits.slice(0, n + 1).join('');
  }
  return Buffer.from(`${out}~>`, 'latin1');
}
// Runs of one byte, 128 at a time (the most run-length allows), then end of data.
function runLengthZeros(count: number): Buffer {
  const runs = Math.ceil(count / 128);
  const out = Buffer.alloc(runs * 2 + 1);
  for (let r = 0; r < runs; r++) {
    out[2 * r] = 257 - Math.min(128, count - r * 128);
    out[2 * r + 1] = 0x20;
  }
  out[runs * 2] = 128;
  return out;
}
// LZW (EarlyChange 1) of `count` (or a few more) repeated bytes, as an encoder would write it: after a clear,
// the byte itself and then each new code, which stands for one byte more than the last; cleared before the
// table fills.
const LZW_LAST_CODE = 4000;
function lzwRepeated(count: number): Buffer {
  const codes: number[] = [];
  let emitted = 0;
  while (emitted < count) {
    codes.push(256, 0x20);
    emitted += 1;
    for (let code = 258; code <= LZW_LAST_CODE && emitted < count; code++) {
      codes.push(code);
      emitted += code - 256;
    }
  }
  codes.push(257);
  return packCodes(codes);
}
function packCodes(codes: number[]): Buffer {
  const bytes: number[] = [];
  let bits = 0;
  let count = 0;
  let next = 258;
  let width = 9;
  let started = false;
  for (const code of codes) {
    bits = (bits << width) | code;
    count += width;
    while (count >= 8) {
      count -= 8;
      bytes.push((bits >>> count) & 255);
    }
    bits &= (1 << count) - 1;
    if (code === 256) {
      next = 258;
      width = 9;
      started = false;
    } else if (code !== 257) {
      if (started) next++;
      started = true;
      if (next + 1 >= 1 << width && width < 12) width++;
    }
  }
  if (count > 0) bytes.push((bits << (8 - count)) & 255);
  return Buffer.from(bytes);
}

describe('PDF stream filters', () => {
  it('decode LZW as the PDF specification example does', async () => {
    // ISO 32000-1 §7.4.4.2, Example 2: 45 45 45 45 45 65 45 45 45 66 → 80 0B 60 50 22 0C 0C 85 01.
    const encoded = Buffer.from([0x80, 0x0b, 0x60, 0x50, 0x22, 0x0c, 0x0c, 0x85, 0x01]);
    expect([...(await decode(['LZWDecode'], encoded))]).toEqual([0x2d, 0x2d, 0x2d, 0x2d, 0x2d, 0x41, 0x2d, 0x2d, 0x2d, 0x42]);
  });

  it('decode ASCII hex, ASCII base-85 and run-length, alone and chained with deflate', async () => {
    const text = Buffer.from('BT /F1 12 Tf 72 720 Td (The lamp was replaced in 1898.) Tj ET\n'.repeat(40) + '\0\0\0\0tail', 'latin1');
    expect((await decode(['ASCIIHexDecode'], hex(text))).equals(text)).toBe(true);
    expect((await decode(['ASCII85Decode'], ascii85(text))).equals(text)).toBe(true);
    expect((await decode(['A85', 'Fl'], ascii85(deflateSync(text)))).equals(text)).toBe(true);
    expect((await decode(['RunLengthDecode'], runLengthZeros(1000))).equals(Buffer.alloc(1000, 0x20))).toBe(true);
    expect((await decode(['LZWDecode'], lzwRepeated(100_000))).length).toBeGreaterThanOrEqual(100_000);
  });

  it('stop at the first filter they do not decode', () => {
    expect(decodableChain(['ASCII85Decode', 'FlateDecode', 'DCTDecode', 'FlateDecode'])).toEqual([PDF_FILTERS.ASCII85Decode, PDF_FILTERS.FlateDecode]);
  });

  // Bombs that the deflate-only guard let through: each expands past the stream cap.
  const big = MAX_PDF_STREAM_BYTES + 2 ** 20;
  const cases: [string, () => Buffer, string][] = [
    ['run-length', () => runLengthZeros(big), '/RunLengthDecode'],
    ['LZW', () => lzwRepeated(big), '/LZWDecode'],
    ['deflate inside base-85', () => ascii85(deflateSync(Buffer.alloc(big, 0x20), { level: 9 })), '[/ASCII85Decode /FlateDecode]'],
    ['deflate inside hex', () => hex(deflateSync(Buffer.alloc(big, 0x20), { level: 9 })), '[/AHx /Fl]'],
  ];
  for (const [name, body, filter] of cases) {
    it(`refuse a ${name} bomb before pdf.js sees it`, async () => {
      const pdf = streamPdf(body(), filter);
      expect(pdf.length).toBeLessThan(big / 20);
      await expect(checkPdfStreams(pdf)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    });
  }

  it('let the same chains through when they stay under the cap', async () => {
    await expect(checkPdfStreams(streamPdf(runLengthZeros(2 ** 20), '/RunLengthDecode'))).resolves.toBeUndefined();
    await expect(checkPdfStreams(streamPdf(ascii85(deflateSync(Buffer.alloc(2 ** 20, 0x20))), '[/ASCII85Decode /FlateDecode]'))).resolves.toBeUndefined();
  });
});
