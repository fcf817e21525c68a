import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { InstalledModel } from '../common/contract.ts';
import { readManifest } from '../../models/manifest.ts';
import { generationOf, promptStyleOf } from '../../models/model-spec.ts';

// A model is installed when its folder under the models directory holds a readable quire.json; folders
// that do not (a conversion still running, a broken copy) are skipped rather than failing the whole list.
export function listInstalledModels(root: string): InstalledModel[] {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  const models: InstalledModel[] = [];
  for (const id of entries.sort()) {
    try {
      models.push(modelAt(join(root, id)));
    } catch {
      continue;
    }
  }
  return models;
}

// A converted model folder anywhere (quire ask --model <dir>); its id is the folder's name.
export function modelAt(dir: string): InstalledModel {
  const manifest = readManifest(dir);
  return {
    id: basename(resolve(dir)),
    name: manifest.name,
    dir: resolve(dir),
    precision: manifest.precision,
    ioDtype: manifest.ioDtype,
    kvDtype: manifest.kvDtype,
    contextTokens: manifest.contextTokens,
    kvBytesPerToken: manifest.kvBytesPerToken,
    bytes: folderBytes(dir),
    demo: manifest.demo,
    promptStyle: promptStyleOf(manifest),
    generation: generationOf(manifest),
  };
}

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => {
    const stat = statSync(join(dir, name));
    return sum + (stat.isFile() ? stat.size : 0);
  }, 0);
}

