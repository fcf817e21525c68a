// The checksums quire.json records: of the converted model's files (`checksums`, verified by verify-model.ts)
// and of the source checkpoint's tensors (`source.checksum`, safetensors.ts). Conversions take them with
// BLAKE3 (blake3.ts); a manifest without the algorithm was written with sha256, and is verified with it.
import { createHash } from 'node:crypto';
import { blake3, type Blake3Hasher } from './blake3.ts';
import type { HashAlgorithm } from './model-spec.ts';

// What a conversion records now.
export const CHECKSUM_ALGORITHM = 'blake3' satisfies HashAlgorithm;

export function checksumHasher(algorithm: HashAlgorithm): Blake3Hasher {
  if (algorithm === 'blake3') return blake3();
  const hash = createHash('sha256');
  return { update: (bytes) => void hash.update(bytes), digest: () => hash.digest('hex') };
}

export function checksumOf(bytes: Uint8Array, algorithm: HashAlgorithm = CHECKSUM_ALGORITHM): string {
  const hash = checksumHasher(algorithm);
  hash.update(bytes);
  return hash.digest();
}
