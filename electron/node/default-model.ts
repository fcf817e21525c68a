import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { convertCheckpoint } from '../../models/convert.ts';
import { entryPoints } from './entry-points.ts';
import { listInstalledModels } from './installed-models.ts';
import { modelsDir } from './paths.ts';

export const DEFAULT_MODEL_ID = 'quire-nano';

// With no model installed, the app converts the quire-nano checkpoint it ships with (a few MB, well under a
// second), so a fresh machine without network can run the whole flow on synthetic documents at once.
// QUIRE_DEFAULT_MODEL=none turns this off (a machine meant to show the catalog first, some tests).
export async function ensureDefaultModel(root: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (env.QUIRE_DEFAULT_MODEL === 'none') return false;
  const source = entryPoints.nanoCheckpoint;
  if (!existsSync(join(source, 'config.json')) || listInstalledModels(modelsDir(root)).length > 0) return false;
  // The converter writes beside the target and swaps it in whole.
  await convertCheckpoint(source, join(modelsDir(root), DEFAULT_MODEL_ID), { precision: 'fp32' });
  return true;
}
