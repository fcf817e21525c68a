// The RoPE/YaRN position tables of a long context, computed once and then read from disk. At a 1M-token context
// of UltraLong-8B (head dim 128) they are 128M cos/sin values: ~9 s of trigonometry on every load, where reading
// the same 512 MB back takes a fraction of a second. Keyed by the rotation's identity (the manifest's RoPE hash),
// the context and the element type, so a table is only ever read for the rotation it was computed for; a file of
// the wrong size is computed again. Only the largest tables are worth a file, and only the last few are kept.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IO_TYPE } from '../../../models/model-spec.ts';
import { ropeInputs, type ModelFolder, type RopeInputs } from './model-folder.ts';

// Below this many positions the tables compute faster than a file is worth.
export const ROPE_CACHE_MIN_POSITIONS = 131_072;
const KEPT_FILES = 3;

export function cachedRopeInputs(model: ModelFolder, context: number, folder: string, minPositions = ROPE_CACHE_MIN_POSITIONS): RopeInputs {
  if (context < minPositions) return ropeInputs(model, context);
  const name = `${model.ropeHash.slice(0, 24)}-${context}-${model.manifest.ioDtype}.bin`;
  const path = join(folder, name);
  const half = model.dims.headDim / 2;
  const count = context * half;
  const fp16 = model.manifest.ioDtype === 'fp16';
  const bytesPerTable = count * (fp16 ? 2 : 4);
  try {
    if (statSync(path).size === 2 * bytesPerTable) {
      const bytes = readFileSync(path);
      // Views of the one buffer read (a large file's is its own, aligned), not copies of half a gigabyte.
      const copy = (start: number) => {
        const at = bytes.byteOffset + start;
        const buffer = at % 4 === 0 ? bytes.buffer : bytes.buffer.slice(at, at + bytesPerTable);
        const offset = buffer === bytes.buffer ? at : 0;
        return fp16 ? new Uint16Array(buffer, offset, count) : new Float32Array(buffer, offset, count);
      };
      const now = new Date();
      utimesSync(path, now, now);
      return { cos: copy(0), sin: copy(bytesPerTable), dims: [context, half], elementType: IO_TYPE[model.manifest.ioDtype] };
    }
  } catch {
    // Not there yet (or unreadable): computed below.
  }
  const inputs = ropeInputs(model, context);
  try {
    mkdirSync(folder, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, new Uint8Array(inputs.cos.buffer, inputs.cos.byteOffset, inputs.cos.byteLength));
    writeFileSync(tmp, new Uint8Array(inputs.sin.buffer, inputs.sin.byteOffset, inputs.sin.byteLength), { flag: 'a' });
    renameSync(tmp, path);
    prune(folder);
  } catch {
    // A cache: a full disk or a read-only folder only costs the next load the same computation.
  }
  return inputs;
}

function prune(folder: string): void {
  const files = readdirSync(folder)
    .filter((f) => f.endsWith('.bin'))
    .map((f) => ({ path: join(folder, f), used: statSync(join(folder, f)).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  for (const old of files.slice(KEPT_FILES)) rmSync(old.path, { force: true });
}
