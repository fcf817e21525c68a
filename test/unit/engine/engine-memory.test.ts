import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { longContextModel } from '../../../bench/long-context-model.ts';
import { enginePeak } from './engine-peak.ts';

// The memory planner against a real engine process on the cpu: the scale benches' long-context model (the
// Llama-3 vocabulary and tokenizer), each context read whole by a real prefill (every RoPE row written), then
// one chunk at a larger context over a restored cache. Peak RSS within 10% of planFit's total: the engine
// process's runtime (~157 MB) is half of what these hold, so a plan without it is off by ~35%.
let dir: string;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'quire-engine-memory-'));
  process.env.QUIRE_DATA_DIR = join(root, 'data');
  dir = await longContextModel(root, join(root, 'model'));
}, 180_000);

describe.runIf(process.platform === 'linux')('memory planner vs an engine process (cpu)', () => {
  for (const [context, fill] of [[2048, 'prefill'], [8192, 'prefill'], [65536, 'snapshot']] as const) {
    it(`predicts the peak at ${context} tokens (${fill}) within 10%`, { timeout: 300_000 }, async () => {
      const { peakBytes, predictedBytes, engine } = await enginePeak(dir, context, fill);
      // onnxruntime-node's path holds 12-15% more (a rebuild of the addon under a running suite once sent it there).
      expect(engine).toMatch(/^native /);
      expect(predictedBytes / peakBytes).toBeGreaterThan(0.9);
      expect(predictedBytes / peakBytes).toBeLessThan(1.1);
    });
  }
});
