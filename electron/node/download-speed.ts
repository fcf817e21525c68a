import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The speed of the last model download that moved data, so the catalog's time estimates use this
// computer's line once it is known rather than an assumed one. One small JSON file in the data folder.
const FILE = 'download-speed.json';

export function recordDownloadSpeed(root: string, bytesPerSecond: number): void {
  if (!(bytesPerSecond > 0) || !Number.isFinite(bytesPerSecond)) return;
  writeFileSync(join(root, FILE), JSON.stringify({ bytesPerSecond, measuredAt: new Date().toISOString() }));
}

export function measuredDownloadSpeed(root: string): number | null {
  try {
    const { bytesPerSecond } = JSON.parse(readFileSync(join(root, FILE), 'utf8')) as { bytesPerSecond?: unknown };
    return typeof bytesPerSecond === 'number' && bytesPerSecond > 0 && Number.isFinite(bytesPerSecond) ? bytesPerSecond : null;
  } catch {
    return null;
  }
}
