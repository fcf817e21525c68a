// Converted tiny models for engine tests, built once per options into the OS temp folder.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint, type ConvertOptions } from '../../../models/convert.ts';
import { writeTinyCheckpoint, type TinyCheckpointOptions } from '../../../models/tiny-checkpoint.ts';

const built = new Map<string, Promise<string>>();

export function tinyModel(checkpoint: TinyCheckpointOptions = {}, convert: Omit<ConvertOptions, 'onProgress'> = {}): Promise<string> {
  const key = JSON.stringify([checkpoint, convert]);
  let dir = built.get(key);
  if (!dir) {
    dir = (async () => {
      const root = mkdtempSync(join(tmpdir(), 'quire-engine-'));
      await writeTinyCheckpoint(join(root, 'hf'), checkpoint);
      await convertCheckpoint(join(root, 'hf'), join(root, 'model'), { precision: 'fp32', ...convert });
      if (!existsSync(join(root, 'model', 'quire.json'))) throw new Error('conversion wrote no manifest');
      return join(root, 'model');
    })();
    built.set(key, dir);
  }
  return dir;
}
