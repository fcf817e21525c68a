// BLAKE3 on one core (models/blake3.ts, native/src/blake3.cc), each native path, the TypeScript fallback and
// node:crypto's sha256 (OpenSSL, SHA-NI where the CPU has it: the per-tensor hash the source checksum used
// before) over the same buffer in the same run: MB/s, best of --runs, the order rotated each round so a
// neighbour's load falls on all alike. Goal (issue 27 point 5): ≥ 3 GB/s per core with AVX-512.
//   node bench/blake3.ts [--mib 256] [--runs 5]
import { createHash, randomFillSync } from 'node:crypto';
import { parseArgs } from 'node:util';
import { nativeBlake3, portableBlake3 } from '../models/blake3.ts';
import { nativeCodecPaths } from '../models/weight-codecs.ts';
import { printTable } from './roofline.ts';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '256' }, runs: { type: 'string', default: '5' } } });
const input = randomFillSync(new Uint8Array(Number(values.mib) << 20));

const hashes: [string, (bytes: Uint8Array) => string][] = [
  ...nativeCodecPaths().map((path): [string, (bytes: Uint8Array) => string] => [
    `BLAKE3 native ${path}`,
    (bytes) => {
      const h = nativeBlake3(path)!;
      h.update(bytes);
      return h.digest();
    },
  ]),
  [
    'BLAKE3 TypeScript',
    (bytes) => {
      const h = portableBlake3();
      h.update(bytes);
      return h.digest();
    },
  ],
  ['sha256 node:crypto', (bytes) => createHash('sha256').update(bytes).digest('hex')],
];
if (hashes.length === 2) console.log('(the native addon is not built: npm run build:native)');

// The TypeScript one hashes a 1/16th slice: the whole buffer would take a minute.
const sliceOf = (name: string) => (name.includes('TypeScript') ? input.subarray(0, input.length / 16) : input);
const best = new Map<string, number>();
const digests = new Map<string, Set<string>>();
for (let run = 0; run < Number(values.runs); run++) {
  for (let k = 0; k < hashes.length; k++) {
    const [name, hash] = hashes[(k + run) % hashes.length];
    const bytes = sliceOf(name);
    const t0 = process.hrtime.bigint();
    const digest = hash(bytes);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    best.set(name, Math.max(best.get(name) ?? 0, bytes.length / 1e6 / seconds));
    if (bytes === input && name.startsWith('BLAKE3')) digests.set('blake3', (digests.get('blake3') ?? new Set()).add(digest));
  }
}
if ((digests.get('blake3')?.size ?? 0) > 1) throw new Error('the native paths disagree on the digest');
const sha = best.get('sha256 node:crypto')!;
printTable(
  ['hash', 'MB/s (one core)', '× sha256'],
  hashes.map(([name]) => [name, best.get(name)!.toFixed(0), (best.get(name)! / sha).toFixed(2)]),
);
console.log(`${values.mib} MiB of random bytes (TypeScript: ${Number(values.mib) / 16} MiB), best of ${values.runs}`);
