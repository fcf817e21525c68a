import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../electron/common/random.ts';
import { type Blake3Hasher, blake3ForThread, nativeBlake3, portableBlake3 } from '../../../models/blake3.ts';
import { nativeCodecPaths } from '../../../models/weight-codecs.ts';

// The official test vectors (BLAKE3-team/BLAKE3, test_vectors/test_vectors.json): input byte i is i % 251; the
// first 32 bytes of each case's `hash`. They cover one block, a chunk and one byte past it, and trees of 2 to 100
// chunks, complete and ragged.
const VECTORS: [number, string][] = [
  [0, 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262'],
  [1, '2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213'],
  [1023, '10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11'],
  [1024, '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7'],
  [1025, 'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444'],
  [2048, 'e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a'],
  [2049, '5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030'],
  [3072, 'b98cb0ff3623be03326b373de6b9095218513e64f1ee2edd2525c7ad1e5cffd2'],
  [3073, '7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd3'],
  [4096, '015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e969'],
  [4097, '9b4052b38f1c5fc8b1f9ff7ac7b27cd242487b3d890d15c96a1c25b8aa0fb995'],
  [5120, '9cadc15fed8b5d854562b26a9536d9707cadeda9b143978f319ab34230535833'],
  [5121, '628bd2cb2004694adaab7bbd778a25df25c47b9d4155a55f8fbd79f2fe154cff'],
  [6144, '3e2e5b74e048f3add6d21faab3f83aa44d3b2278afb83b80b3c35164ebeca205'],
  [6145, 'f1323a8631446cc50536a9f705ee5cb619424d46887f3c376c695b70e0f0507f'],
  [7168, '61da957ec2499a95d6b8023e2b0e604ec7f6b50e80a9678b89d2628e99ada77a'],
  [7169, 'a003fc7a51754a9b3c7fae0367ab3d782dccf28855a03d435f8cfe74605e7817'],
  [8192, 'aae792484c8efe4f19e2ca7d371d8c467ffb10748d8a5a1ae579948f718a2a63'],
  [8193, 'bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b'],
  [16384, 'f875d6646de28985646f34ee13be9a576fd515f76b5b0a26bb324735041ddde4'],
  [31744, '62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47'],
  [102400, 'bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085'],
];

// The TypeScript BLAKE3 and every native path this CPU runs (AVX-512 hashes 16 chunks at a time, AVX2 8).
const IMPLEMENTATIONS: [string, () => Blake3Hasher][] = [
  ['TypeScript', portableBlake3],
  ...nativeCodecPaths().map((path) => [`native ${path}`, () => nativeBlake3(path)!] as [string, () => Blake3Hasher]),
];

const hashOf = (make: () => Blake3Hasher, ...pieces: Uint8Array[]) => {
  const h = make();
  for (const piece of pieces) h.update(piece);
  return h.digest();
};

const randomBytes = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
};

const root = mkdtempSync(join(tmpdir(), 'quire-blake3-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('BLAKE3', () => {
  it('has the native paths wherever the addon is built', () => {
    expect(IMPLEMENTATIONS.length).toBeGreaterThan(nativeBlake3() ? 1 : 0);
  });

  describe.each(IMPLEMENTATIONS)('%s', (_, make) => {
    it.each(VECTORS)('gives the published digest of %i bytes', (n, digest) => {
      expect(hashOf(make, Uint8Array.from({ length: n }, (_, i) => i % 251))).toBe(digest);
    });

    // Lengths about blocks, chunks, the 8- and 16-chunk batches and the 256-chunk subtrees, each fed whole and
    // in random pieces (empty ones included), against the TypeScript BLAKE3 fed whole.
    const lengths = [0, 1, 63, 64, 65, 127, 1023, 1024, 1025, 8 * 1024, 8 * 1024 + 1, 16 * 1024 - 1, 16 * 1024, 17 * 1024 + 5, 100 * 1024 + 64, 256 * 1024, 256 * 1024 + 1, 700 * 1024 + 33, (1 << 20) + 3];
    it.each(lengths)('%i random bytes fed in random pieces give the digest of one update', (n) => {
      const input = randomBytes(n, n + 1);
      const whole = hashOf(portableBlake3, input);
      expect(hashOf(make, input)).toBe(whole);
      const r = mulberry32(n);
      for (let trial = 0; trial < 3; trial++) {
        const pieces: Uint8Array[] = [];
        for (let at = 0; at < n; ) {
          // Mostly short pieces, now and then a long one that lets a wide path hash many chunks at once.
          const len = r() < 0.2 ? Math.floor(r() * 70 * 1024) : Math.floor(r() * 1100);
          pieces.push(input.subarray(at, at + len));
          at += len;
        }
        expect(hashOf(make, ...pieces)).toBe(whole);
      }
    });
  });

  it('refuses a native path this CPU does not run', () => {
    if (!nativeBlake3()) return;
    expect(() => nativeBlake3('neon' as never)).toThrow(/blake3 path neon is not one this CPU runs/);
  });

  // A worker thread (as tensor-prefetch.ts's hasher) makes its hashers from the source text, with the addon
  // required there or without it.
  it.each([true, false])('hashes the same in a thread from source (addon: %s)', async (withAddon) => {
    const input = randomBytes(300 * 1024 + 7, 9);
    const { source, addonPath } = blake3ForThread();
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const make = new Function('return ' + workerData.source)()(workerData.addonPath);
       const h = make();
       h.update(workerData.input);
       parentPort.postMessage(h.digest());`,
      { eval: true, workerData: { source, addonPath: withAddon ? addonPath : null, input } },
    );
    const digest = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
    await worker.terminate();
    expect(digest).toBe(hashOf(portableBlake3, input));
  });

  const b3sum = (() => {
    try {
      execFileSync('b3sum', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!b3sum)('agrees with b3sum on random files', () => {
    // The lengths about a block and a chunk the published vectors skip (63-65) among them.
    for (const n of [0, 63, 64, 65, 1000, 1024, 4096, 65537, 3 * 1024 * 1024 + 11]) {
      const file = join(root, `random-${n}`);
      const input = randomBytes(n, 77 + n);
      writeFileSync(file, input);
      const expected = execFileSync('b3sum', ['--no-names', file], { encoding: 'utf8' }).trim();
      for (const [, make] of IMPLEMENTATIONS) expect(hashOf(make, input)).toBe(expected);
    }
  });
});
