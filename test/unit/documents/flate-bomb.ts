import { createDeflate, deflateSync } from 'node:zlib';
import { security } from './fixtures.ts';

// A one-page PDF whose content stream is `inflated` bytes of spaces, deflated (about 1,000:1: 1 GB fits in
// 1 MB). pdf.js would inflate it whole into one buffer outside the worker's heap cap.
// `nested`: deflated twice, the stream marked [/FlateDecode /FlateDecode] (each layer small); `indirectLength`:
// its /Length given as a reference to another object, as many writers do.
// `encryption`: the file encrypted with an empty user password, RC4 (revision 3) or AES-128 (revision 4).
export async function flateBombPdf(
  inflated: number,
  { nested = false, indirectLength = false, encryption }: { nested?: boolean; indirectLength?: boolean; encryption?: 3 | 4 } = {},
): Promise<Uint8Array> {
  // Deflated in slices of one repeated buffer: the bomb's builder must not need the memory it is about.
  const slice = Buffer.alloc(Math.min(inflated, 16 * 2 ** 20), 0x20);
  const out: Buffer[] = [];
  const deflate = createDeflate({ level: 9 });
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  for (let left = inflated; left > 0; left -= slice.length) {
    if (!deflate.write(slice.subarray(0, Math.min(left, slice.length)))) await new Promise((go) => deflate.once('drain', go));
  }
  // 'end' (all output read), not end()'s callback (all input taken): the last chunks come after that.
  const ended = new Promise((done) => deflate.once('end', done));
  deflate.end();
  await ended;
  const once = Buffer.concat(out);
  return streamPdf(nested ? deflateSync(once) : once, nested ? '[/FlateDecode /FlateDecode]' : '/FlateDecode', { indirectLength, encryption });
}

// A one-page PDF whose content stream is `body`, marked with `filter` (a name or an array).
export function streamPdf(body: Buffer, filter: string, { indirectLength = false, encryption }: { indirectLength?: boolean; encryption?: 3 | 4 } = {}): Uint8Array {
  const id = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
  const sec = encryption && security('', id, 'owner', encryption);
  const data = sec ? sec.encrypt(4, body) : body;
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n')];
  const offsets: number[] = [];
  const size = () => parts.reduce((n, p) => n + p.length, 0);
  const object = (...content: (string | Buffer)[]) => {
    offsets.push(size());
    parts.push(Buffer.from(`${offsets.length} 0 obj\n`), ...content.map((c) => (typeof c === 'string' ? Buffer.from(c, 'latin1') : c)), Buffer.from('\nendobj\n'));
  };
  object('<< /Type /Catalog /Pages 2 0 R >>');
  object('<< /Type /Pages /Kids [3 0 R] /Count 1 >>');
  object('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>');
  // Object 16 holds the length: a two-digit reference, which a careless reader takes for `/Length 1`.
  object(`<< /Length ${indirectLength ? '16 0 R' : data.length} /Filter ${filter} >>\nstream\n`, data, '\nendstream');
  object('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  while (offsets.length < 15) object('null');
  object(String(data.length));
  if (sec) object(`<< /Filter /Standard ${sec.dict} /O <${sec.O.toString('hex')}> /U <${sec.U.toString('hex')}> /P -4 >>`);
  const encrypt = sec ? ` /Encrypt ${offsets.length} 0 R /ID [<${id.toString('hex')}> <${id.toString('hex')}>]` : '';
  const xrefAt = size();
  const xref = [`xref\n0 ${offsets.length + 1}\n`, '0000000000 65535 f \n', ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${offsets.length + 1} /Root 1 0 R${encrypt} >>\nstartxref\n${xrefAt}\n%%EOF\n`));
  return new Uint8Array(Buffer.concat(parts));
}
