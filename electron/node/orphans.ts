// What a killed process leaves in the data folder, removed when the app starts: half-written model folders
// (a conversion or install stopped midway), a model folder renamed aside during a swap that never finished
// (put back when nothing replaced it), and snapshot temp files of an engine that died while writing one —
// which would otherwise sit outside the snapshots' disk budget forever. Also what earlier versions kept that
// nothing reads any more.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPLACED_SUFFIX, STAGING_SUFFIX } from '../../models/convert.ts';
import { modelsDir, snapshotsDir } from './paths.ts';

// A staging folder another running process is still writing is touched at least this often.
export const STALE_STAGING_MS = 10 * 60_000;
// Snapshot temp files are `<name>.<pid>.<time>.tmp` (kv-snapshot.ts).
const SNAPSHOT_TMP = /\.(\d+)\.\d+\.tmp$/;
// RoPE tables cached whole on disk (hundreds of MB per context) before the engine computed each step's rows.
const RETIRED = ['rope-tables'];

export interface OrphanReport {
  removed: string[];
  restored: string[];
}

export function cleanOrphans(root: string, now = Date.now()): OrphanReport {
  const report: OrphanReport = { removed: [], restored: [] };
  const models = modelsDir(root);
  for (const name of existsSync(models) ? readdirSync(models) : []) {
    const path = join(models, name);
    if (!name.startsWith('.')) continue;
    if (name.endsWith(STAGING_SUFFIX) && now - newestChange(path) > STALE_STAGING_MS) {
      rmSync(path, { recursive: true, force: true });
      report.removed.push(path);
    } else if (name.endsWith(REPLACED_SUFFIX)) {
      const original = join(models, name.slice(1, -REPLACED_SUFFIX.length).replace(/\.[0-9a-f]{8}$/, ''));
      if (existsSync(original)) {
        rmSync(path, { recursive: true, force: true });
        report.removed.push(path);
      } else {
        renameSync(path, original);
        report.restored.push(original);
      }
    }
  }
  for (const path of RETIRED.map((name) => join(root, name)).filter((path) => existsSync(path))) {
    rmSync(path, { recursive: true, force: true });
    report.removed.push(path);
  }
  for (const path of files(snapshotsDir(root))) {
    const pid = SNAPSHOT_TMP.exec(path)?.[1];
    if (pid && !alive(Number(pid))) {
      rmSync(path, { force: true });
      report.removed.push(path);
    }
  }
  return report;
}

function newestChange(dir: string): number {
  let newest = statSync(dir).mtimeMs;
  for (const name of readdirSync(dir)) newest = Math.max(newest, statSync(join(dir, name)).mtimeMs);
  return newest;
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
