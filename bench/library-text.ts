// The viewer's pieces of a whole book (issue 21 point 7): `library.text` through the app's router, 20 ranges of 48K
// characters across a 4 MB book (the app's sample document over and over), just imported and again after a restart
// of the services (the text read from SQLite once), beside what reading the whole text from the database costs,
// which every call paid before DocumentStore kept the texts read last. Twice: as written (ASCII), and with its
// sentences joined by em dashes as typeset books have them (a character outside Latin-1 makes the text a two-byte
// string, slower to read).
//   node_modules/.bin/node bench/library-text.ts
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppServices } from '../electron/node/app-services.ts';
import { openDatabase, closeDatabase } from '../electron/node/db.ts';
import { databasePath } from '../electron/node/paths.ts';
import { callRouter } from '../test/unit/router-call.ts';
import { sampleDocument } from '../electron/node/sample-document.ts';

const PIECE = 48_000;
const CALLS = 20;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Each call's milliseconds.
async function pieces(services: ReturnType<typeof createAppServices>, id: string, chars: number): Promise<number[]> {
  const times: number[] = [];
  for (let k = 0; k < CALLS; k++) {
    const start = Math.floor((k * chars) / CALLS);
    const t = performance.now();
    await callRouter(services, 'library.text', { id, start, end: start + PIECE });
    times.push(performance.now() - t);
  }
  return times;
}

const row = (name: string, xs: number[]) => `| ${name} | ${median(xs).toFixed(2)} | ${Math.max(...xs).toFixed(1)} | ${xs.reduce((a, b) => a + b, 0).toFixed(0)} |`;
const sample = sampleDocument().text;
const book = Array.from({ length: Math.ceil(4e6 / sample.length) }, (_, i) => `${sample}\n\nPart ${i + 1}\n\n`).join('');
console.log(`${CALLS} pieces of ${PIECE.toLocaleString('en-US')} characters, ms`);
console.log('| | median a call | longest | all |');
console.log('|---|---|---|---|');
for (const [name, text] of [['ASCII', book], ['em dashes', book.replaceAll('. ', ' — ')]]) {
  const root = mkdtempSync(join(tmpdir(), 'quire-bench-text-'));
  const importer = createAppServices({ mode: 'cli', root });
  const { id, chars } = await callRouter(importer, 'library.import', { name: 'book.txt', bytes: new TextEncoder().encode(text) });
  const afterImport = await pieces(importer, id, chars);
  await importer.close();
  const restarted = createAppServices({ mode: 'cli', root });
  const afterRestart = await pieces(restarted, id, chars);
  await restarted.close();
  const db = openDatabase(databasePath(root));
  const wholeReads = Array.from({ length: 5 }, () => {
    const t = performance.now();
    db.prepare('SELECT text FROM documents WHERE id = ?').get(id);
    return performance.now() - t;
  });
  closeDatabase(db);
  console.log(row(`${name} (${(chars / 1e6).toFixed(1)}M characters): library.text, the book just imported`, afterImport));
  console.log(row(`${name}: library.text after a restart`, afterRestart));
  console.log(row(`${name}: the whole text read from SQLite (what each call cost before)`, wholeReads));
}
console.log(`\n${new Date().toISOString().slice(0, 16)}Z, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
