// BLAKE3 (https://github.com/BLAKE3-team/BLAKE3-specs), default hash mode with a 32-byte digest: what a
// converted model's source checksum hashes each tensor with (safetensors.ts). The native addon
// (native/src/blake3.cc) hashes 16 or 8 chunks at a time with AVX-512 or AVX2 at several GB/s per core, where
// sha256 ran at ~1.4; this TypeScript implementation is for where the addon is absent (not built, or
// QUIRE_CONVERT_NATIVE=0), and the second implementation its test holds the addon to.
import { converterAddon, nativeAddonFile } from './native-addon-file.ts';
import type { CodecPath } from './weight-codecs.ts';

export interface Blake3Hasher {
  update(bytes: Uint8Array): void;
  // The digest of everything passed to update, as hex; the hasher is spent afterwards.
  digest(): string;
}

// The addon's exports (native/src/blake3.cc).
export interface NativeBlake3 {
  blake3Create(path?: CodecPath): unknown;
  blake3Update(hasher: unknown, bytes: Uint8Array): void;
  blake3Digest(hasher: unknown): Uint8Array;
}

// New hashers from the addon's functions where `addon` has them, else from the TypeScript implementation
// (which has no code paths to name). Self-contained, referring to nothing outside its body, so that a thread
// running from source text (tensor-prefetch.ts's hasher, file-writer-thread.ts) can run it from its source
// (blake3ForThread); there `addon` is the addon's path, required if it loads.
// long-function: self-contained for those threads, so its parts cannot be functions of this module.
export function blake3Hashers(addon: Partial<NativeBlake3> | string | null): (path?: CodecPath) => Blake3Hasher {
  let native = typeof addon === 'string' ? null : addon;
  try {
    if (typeof addon === 'string') native = require(addon) as Partial<NativeBlake3>;
  } catch {
    // Not built: the TypeScript implementation hashes.
  }
  const toHex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  if (native && typeof native.blake3Create === 'function' && typeof native.blake3Update === 'function' && typeof native.blake3Digest === 'function') {
    const { blake3Create, blake3Update, blake3Digest } = native as NativeBlake3;
    return (path) => {
      const hasher = blake3Create(path);
      return { update: (bytes) => blake3Update(hasher, bytes), digest: () => toHex(blake3Digest(hasher)) };
    };
  }

  const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  const CHUNK_START = 1, CHUNK_END = 2, PARENT = 4, ROOT = 8;
  const BLOCK = 64, CHUNK = 1024;
  // Message word order of each of the 7 rounds: the spec's permutation applied once per round.
  const PERMUTATION = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
  const schedule = [Array.from({ length: 16 }, (_, i) => i)];
  for (let r = 1; r < 7; r++) schedule.push(PERMUTATION.map((p) => schedule[r - 1][p]));
  const s = Uint8Array.from(schedule.flat());
  const m = new Int32Array(16);
  // The compression function of the 64-byte block at bytes[at], truncated to the 8 words a chaining value or
  // digest needs: they replace `cv`. The state is in locals, each G spelled out (two lines), for speed.
  const compress = (cv: Uint32Array, bytes: Uint8Array, at: number, blockLen: number, counter: number, flags: number) => {
    for (let i = 0; i < 16; i++, at += 4) m[i] = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
    let v0 = cv[0], v1 = cv[1], v2 = cv[2], v3 = cv[3], v4 = cv[4], v5 = cv[5], v6 = cv[6], v7 = cv[7];
    let v8 = IV[0], v9 = IV[1], v10 = IV[2], v11 = IV[3];
    let v12 = counter % 2 ** 32, v13 = Math.floor(counter / 2 ** 32), v14 = blockLen, v15 = flags;
    for (let r = 0; r < 112; r += 16) {
      v0 = (v0 + v4 + m[s[r + 0]]) | 0; v12 ^= v0; v12 = (v12 >>> 16) | (v12 << 16); v8 = (v8 + v12) | 0; v4 ^= v8; v4 = (v4 >>> 12) | (v4 << 20);
      v0 = (v0 + v4 + m[s[r + 1]]) | 0; v12 ^= v0; v12 = (v12 >>> 8) | (v12 << 24); v8 = (v8 + v12) | 0; v4 ^= v8; v4 = (v4 >>> 7) | (v4 << 25);
      v1 = (v1 + v5 + m[s[r + 2]]) | 0; v13 ^= v1; v13 = (v13 >>> 16) | (v13 << 16); v9 = (v9 + v13) | 0; v5 ^= v9; v5 = (v5 >>> 12) | (v5 << 20);
      v1 = (v1 + v5 + m[s[r + 3]]) | 0; v13 ^= v1; v13 = (v13 >>> 8) | (v13 << 24); v9 = (v9 + v13) | 0; v5 ^= v9; v5 = (v5 >>> 7) | (v5 << 25);
      v2 = (v2 + v6 + m[s[r + 4]]) | 0; v14 ^= v2; v14 = (v14 >>> 16) | (v14 << 16); v10 = (v10 + v14) | 0; v6 ^= v10; v6 = (v6 >>> 12) | (v6 << 20);
      v2 = (v2 + v6 + m[s[r + 5]]) | 0; v14 ^= v2; v14 = (v14 >>> 8) | (v14 << 24); v10 = (v10 + v14) | 0; v6 ^= v10; v6 = (v6 >>> 7) | (v6 << 25);
      v3 = (v3 + v7 + m[s[r + 6]]) | 0; v15 ^= v3; v15 = (v15 >>> 16) | (v15 << 16); v11 = (v11 + v15) | 0; v7 ^= v11; v7 = (v7 >>> 12) | (v7 << 20);
      v3 = (v3 + v7 + m[s[r + 7]]) | 0; v15 ^= v3; v15 = (v15 >>> 8) | (v15 << 24); v11 = (v11 + v15) | 0; v7 ^= v11; v7 = (v7 >>> 7) | (v7 << 25);
      v0 = (v0 + v5 + m[s[r + 8]]) | 0; v15 ^= v0; v15 = (v15 >>> 16) | (v15 << 16); v10 = (v10 + v15) | 0; v5 ^= v10; v5 = (v5 >>> 12) | (v5 << 20);
      v0 = (v0 + v5 + m[s[r + 9]]) | 0; v15 ^= v0; v15 = (v15 >>> 8) | (v15 << 24); v10 = (v10 + v15) | 0; v5 ^= v10; v5 = (v5 >>> 7) | (v5 << 25);
      v1 = (v1 + v6 + m[s[r + 10]]) | 0; v12 ^= v1; v12 = (v12 >>> 16) | (v12 << 16); v11 = (v11 + v12) | 0; v6 ^= v11; v6 = (v6 >>> 12) | (v6 << 20);
      v1 = (v1 + v6 + m[s[r + 11]]) | 0; v12 ^= v1; v12 = (v12 >>> 8) | (v12 << 24); v11 = (v11 + v12) | 0; v6 ^= v11; v6 = (v6 >>> 7) | (v6 << 25);
      v2 = (v2 + v7 + m[s[r + 12]]) | 0; v13 ^= v2; v13 = (v13 >>> 16) | (v13 << 16); v8 = (v8 + v13) | 0; v7 ^= v8; v7 = (v7 >>> 12) | (v7 << 20);
      v2 = (v2 + v7 + m[s[r + 13]]) | 0; v13 ^= v2; v13 = (v13 >>> 8) | (v13 << 24); v8 = (v8 + v13) | 0; v7 ^= v8; v7 = (v7 >>> 7) | (v7 << 25);
      v3 = (v3 + v4 + m[s[r + 14]]) | 0; v14 ^= v3; v14 = (v14 >>> 16) | (v14 << 16); v9 = (v9 + v14) | 0; v4 ^= v9; v4 = (v4 >>> 12) | (v4 << 20);
      v3 = (v3 + v4 + m[s[r + 15]]) | 0; v14 ^= v3; v14 = (v14 >>> 8) | (v14 << 24); v9 = (v9 + v14) | 0; v4 ^= v9; v4 = (v4 >>> 7) | (v4 << 25);
    }
    cv[0] = v0 ^ v8;
    cv[1] = v1 ^ v9;
    cv[2] = v2 ^ v10;
    cv[3] = v3 ^ v11;
    cv[4] = v4 ^ v12;
    cv[5] = v5 ^ v13;
    cv[6] = v6 ^ v14;
    cv[7] = v7 ^ v15;
  };
  const putWords = (words: Uint32Array, bytes: Uint8Array, at: number) => {
    for (let i = 0; i < words.length; i++, at += 4) {
      bytes[at] = words[i];
      bytes[at + 1] = words[i] >>> 8;
      bytes[at + 2] = words[i] >>> 16;
      bytes[at + 3] = words[i] >>> 24;
    }
  };
  // A parent node's block (left and right chaining values) in `block`.
  const parentBlock = (left: Uint32Array, right: Uint32Array, block: Uint8Array) => {
    putWords(left, block, 0);
    putWords(right, block, 32);
  };

  return () => {
    // Chaining values of complete subtrees, largest first: one per bit set in the count of chunks done.
    const stack: Uint32Array[] = [];
    let chunks = 0;
    let chunkCv = Uint32Array.from(IV);
    // Blocks of the current chunk compressed, and bytes of its next block buffered in `block`.
    let blocksDone = 0;
    let blockLen = 0;
    const block = new Uint8Array(BLOCK);
    const chunkFlags = () => (blocksDone === 0 ? CHUNK_START : 0);

    // The current chunk is full and more input follows: it is not the root, so its chaining value joins the tree.
    const finishChunk = () => {
      let cv = chunkCv;
      compress(cv, block, 0, BLOCK, chunks, chunkFlags() | CHUNK_END);
      for (let total = ++chunks; total % 2 === 0; total /= 2) {
        const merged = Uint32Array.from(IV);
        const parent = new Uint8Array(BLOCK);
        parentBlock(stack.pop()!, cv, parent);
        compress(merged, parent, 0, BLOCK, 0, PARENT);
        cv = merged;
      }
      stack.push(cv);
      chunkCv = Uint32Array.from(IV);
      blocksDone = 0;
      blockLen = 0;
    };

    return {
      update(bytes: Uint8Array) {
        for (let i = 0; i < bytes.length; ) {
          if (blocksDone * BLOCK + blockLen === CHUNK) finishChunk();
          if (blockLen === BLOCK) {
            compress(chunkCv, block, 0, BLOCK, chunks, chunkFlags());
            blocksDone++;
            blockLen = 0;
          }
          // A whole block with more input after it and not its chunk's last: hashed where it lies.
          if (blockLen === 0 && blocksDone < CHUNK / BLOCK - 1 && bytes.length - i > BLOCK) {
            compress(chunkCv, bytes, i, BLOCK, chunks, chunkFlags());
            blocksDone++;
            i += BLOCK;
            continue;
          }
          const take = Math.min(BLOCK - blockLen, bytes.length - i);
          block.set(bytes.subarray(i, i + take), blockLen);
          blockLen += take;
          i += take;
        }
      },
      digest() {
        // The last chunk's last block, then a parent node per subtree on the stack, the last flagged ROOT.
        let cv = chunkCv;
        let node = block.fill(0, blockLen);
        let nodeLen = blockLen;
        let counter = chunks;
        let flags = chunkFlags() | CHUNK_END;
        for (let i = stack.length - 1; i >= 0; i--) {
          compress(cv, node, 0, nodeLen, counter, flags);
          node = new Uint8Array(BLOCK);
          parentBlock(stack[i], cv, node);
          cv = Uint32Array.from(IV);
          [nodeLen, counter, flags] = [BLOCK, 0, PARENT];
        }
        compress(cv, node, 0, nodeLen, counter, flags | ROOT);
        const out = new Uint8Array(32);
        putWords(cv, out, 0);
        return toHex(out);
      },
    };
  };
}

const useNative = () => process.env.QUIRE_CONVERT_NATIVE !== '0';

// The TypeScript implementation.
export const portableBlake3 = blake3Hashers(null);

// The addon's hasher, or null where it is not built or predates BLAKE3. Without `path` the widest this CPU runs;
// naming one is for the test that holds every path to the same digests.
export function nativeBlake3(path?: CodecPath): Blake3Hasher | null {
  const native = converterAddon() as Partial<NativeBlake3> | null;
  return native && typeof native.blake3Create === 'function' ? blake3Hashers(native)(path) : null;
}

export function blake3(): Blake3Hasher {
  return (useNative() && nativeBlake3()) || portableBlake3();
}

// What a thread running from source text needs to make the same hashers as blake3(): `new Function('return ' +
// source)()` is blake3Hashers, to call with `addonPath` (null: the TypeScript implementation).
export function blake3ForThread(): { source: string; addonPath: string | null } {
  return { source: blake3Hashers.toString(), addonPath: useNative() ? nativeAddonFile.path : null };
}
