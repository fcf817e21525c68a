// Encrypted PDFs meet the bomb guard's caps (issue 23 point 5): the guard derives the standard security
// handler's key for the empty user password (or the one given) and decrypts each stream before counting what
// it inflates to. The key derivation is checked on files qpdf encrypted (AES-128 and AES-256 revision 6).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { extractBytes } from '../../../electron/node/documents/extract.ts';
import { streamDecryptor } from '../../../electron/node/documents/pdf-crypt.ts';
import { checkPdfStreams } from '../../../electron/node/documents/pdf-guard.ts';
import { MAX_PDF_STREAM_BYTES } from '../../../electron/node/documents/limits.ts';
import { flateBombPdf } from './flate-bomb.ts';
import { makePdf } from './fixtures.ts';

const QPDF = join(import.meta.dirname, '../../corpus/files/pdfreader');

// Each FlateDecode stream of the file, decrypted with its object's key and inflated.
function inflatedStreams(file: Buffer, password?: string): string[] {
  const decrypt = streamDecryptor(file, password);
  if (!decrypt) throw new Error(`no decryptor (${decrypt})`);
  const text = file.toString('latin1');
  const streams: string[] = [];
  for (const m of text.matchAll(/(\d+) (\d+) obj\s*<<((?:(?!endobj)[\s\S])*?)>>\s*stream\r?\n/g)) {
    if (!/\/FlateDecode/.test(m[3])) continue;
    const start = m.index + m[0].length;
    const length = Number(/\/Length (\d+)(?! \d+ R)/.exec(m[3])![1]);
    const data = decrypt(Number(m[1]), Number(m[2]), file.subarray(start, start + length));
    streams.push(inflateSync(data!).toString('latin1'));
  }
  return streams;
}

describe('the bomb guard decrypts', () => {
  it('derives the keys qpdf wrote: AES-128 and AES-256 (revision 6) with an empty user password, and a real one', () => {
    for (const name of ['sample-aes128-empty-user.pdf', 'sample-aes256-empty-user.pdf']) {
      const streams = inflatedStreams(readFileSync(join(QPDF, name)));
      expect(streams.length, name).toBeGreaterThan(1);
      // The page's content stream, in the clear.
      expect(streams.some((s) => /\bBT\b[\s\S]*\bTj\b|\bTJ\b/.test(s)), name).toBe(true);
    }
    const locked = readFileSync(join(QPDF, 'sample-aes256-user-password.pdf'));
    expect(streamDecryptor(locked)).toBeNull();
    expect(inflatedStreams(locked, 'user secret').some((s) => /\bBT\b/.test(s))).toBe(true);
    expect(streamDecryptor(makePdf([{ paragraphs: [['clear']] }]))).toBeUndefined();
  });

  it('refuses a flate bomb under RC4 or AES-128 encryption before pdf.js inflates it', { timeout: 60_000 }, async () => {
    for (const encryption of [3, 4] as const) {
      const bomb = await flateBombPdf(MAX_PDF_STREAM_BYTES + 2 ** 20, { encryption });
      await expect(checkPdfStreams(bomb), `revision ${encryption}`).rejects.toThrow(/decodes to more than 256 MB/);
      await expect(extractBytes('bomb.pdf', bomb)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    }
    // Under the cap, the encrypted document is a document: pdf.js opens it.
    const small = await flateBombPdf(2 ** 20, { encryption: 4 });
    await expect(checkPdfStreams(small)).resolves.toBeUndefined();
    const doc = await extractBytes('aes.pdf', makePdf([{ paragraphs: [['Sealed but readable.']] }], { userPassword: '', revision: 4 }));
    expect(doc.text).toBe('Sealed but readable.');
  });
});
