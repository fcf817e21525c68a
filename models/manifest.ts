import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuireError } from '../electron/common/errors.ts';
import { MANIFEST_FILE, parseManifest, type ModelManifest } from './model-spec.ts';

// Set in a checkpoint's config.json by the tiny-checkpoint generator; the converter carries it into quire.json.
export const DEMO_CONFIG_KEY = 'quire_demo';

// quire.json of a converted model folder, read through the spec's schema (model-spec.ts): missing is
// NOT_FOUND, unparseable is MODEL_CORRUPT, anything else the schema decides.
export function readManifest(dir: string): ModelManifest {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new QuireError('NOT_FOUND', `${dir} has no ${MANIFEST_FILE}: not a converted Quire model`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new QuireError('MODEL_CORRUPT', `${dir}: ${MANIFEST_FILE} is not valid JSON; convert or install the model again`);
  }
  return parseManifest(raw, dir);
}
