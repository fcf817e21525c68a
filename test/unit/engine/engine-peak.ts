// Peak resident memory of a real engine process (its VmHWM) with a context's cache full and one prefill chunk
// run at the end of it, beside the memory planner's prediction for the same load: what the planner is checked
// against (engine-memory.test.ts, bench/engine-memory.ts). Linux only (/proc).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineHost } from '../../../electron/node/runtime/engine-host.ts';
import { makeHeader, writeCacheBody, writeSnapshot } from '../../../electron/node/engine/kv-snapshot.ts';
import { openModelFolder } from '../../../electron/node/engine/model-folder.ts';
import { planFit, type FitReport } from '../../../electron/node/engine/memory-planner.ts';
import { cacheCopiedOn, DEFAULT_PREFILL_CHUNK } from '../../../electron/node/engine/engine-session.ts';
import type { EnginePath } from '../../../electron/node/engine/backend.ts';

export interface EnginePeak {
  loadSeconds: number;
  peakBytes: number;
  plan: FitReport;
  // The engine's path and why (the plan is that path's: onnxruntime-node's copies the cache every step).
  engine: string;
  // The plan's total for this run: a restored cache computes no RoPE rows but the last chunk's, where the plan
  // counts every row a prefill of the whole context writes.
  predictedBytes: number;
}

// Highest VmHWM among this process's children (the engine host is the only one here).
function childrenPeak(): number {
  const pids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)], { encoding: 'utf8' }).split('\n').map((l) => l.trim()).filter(Boolean);
  let peak = 0;
  for (const pid of pids) {
    try {
      const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (kb) peak = Math.max(peak, Number(kb[1]) * 1024);
    } catch {
      // Gone since ps listed it (ps itself).
    }
  }
  return peak;
}

// `fill`: 'prefill' reads the whole context (every RoPE row computed), 'snapshot' restores a synthetic cache of
// zeros for all but the last chunk (1M tokens cannot be read on a few cores) and prefills that chunk.
// `path`: the engine path to load on (the engine's own choice without one).
export async function enginePeak(dir: string, context: number, fill: 'prefill' | 'snapshot', { chunk = DEFAULT_PREFILL_CHUNK, path }: { chunk?: number; path?: EnginePath } = {}): Promise<EnginePeak> {
  const folder = openModelFolder(dir);
  const host = new EngineHost();
  try {
    const started = performance.now();
    const report = await host.call('load', { dir, options: { context, provider: 'cpu', prefillChunk: chunk, ...(path ? { path } : {}) } });
    const loadSeconds = (performance.now() - started) / 1000;
    const plan = planFit(folder.dims, folder.kv, { availableBytes: Number.MAX_SAFE_INTEGER, context, prefillChunk: chunk, onHost: true, cacheCopied: cacheCopiedOn('cpu', report.path) });
    const ids = Array.from({ length: context }, (_, i) => (i * 7919 + 13) % Math.min(folder.dims.vocabSize, 1000));
    if (fill === 'prefill') {
      await host.call('sync', { tokens: ids, chunk });
    } else {
      const prefix = ids.slice(0, context - chunk);
      const path = join(mkdtempSync(join(tmpdir(), 'quire-peak-')), 'kv.qkv');
      const header = makeHeader(folder.layout, { modelHash: folder.modelHash, ropeHash: folder.ropeHash }, prefix);
      const zeros = new Uint8Array(folder.layout.kvHeads * prefix.length * header.rowBytes);
      await writeSnapshot(path, header, prefix, (file, _tmp, offset) => writeCacheBody(file, offset, folder.layout, prefix.length, prefix.length, () => zeros, header.blockBytes));
      await host.call('restoreSnapshot', { path });
      await host.call('sync', { tokens: ids, chunk });
      if ((await host.call('state', {})).prefilledTokens !== chunk) throw new Error('the synthetic snapshot was not restored');
    }
    const unreached = fill === 'snapshot' ? plan.bytes.ropeTables * (1 - chunk / context) : 0;
    return { loadSeconds, peakBytes: childrenPeak(), plan, engine: `${report.path} (${report.reason})`, predictedBytes: plan.bytes.total - unreached };
  } finally {
    host.kill();
  }
}
