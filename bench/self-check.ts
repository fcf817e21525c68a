// The local self-check's wall time (models.selfCheck through the app's router, as the Models screen runs it)
// beside its floor: the same grid run in this process on one engine session (runNiah, what `quire eval niah`
// does), where nothing crosses a process and consecutive prompts share their filler the same way. On the
// random-weight tiny demo model of the tests (its accuracy means nothing; only the timings do).
//   node bench/self-check.ts [--context 2048] [--runs 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAppServices } from '../electron/node/app-services.ts';
import { runNiah } from '../electron/node/eval/niah.ts';
import { installTinyModel } from '../test/e2e/tiny-model.ts';
import { callRouter } from '../test/unit/router-call.ts';

const { values } = parseArgs({ options: { context: { type: 'string', default: '2048' }, runs: { type: 'string', default: '3' } } });
const context = Number(values.context);
const runs = Number(values.runs);
// The self-check's grid (domains/self-check.ts): four lengths up to the context, five depths.
const lengths = [0.125, 0.25, 0.5, 1].map((f) => Math.round(context * f));
const depths = [0, 25, 50, 75, 100];

const root = mkdtempSync(join(tmpdir(), 'quire-bench-self-check-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const dir = await installTinyModel(root);
  const services = createAppServices({ mode: 'cli', root });
  await callRouter(services, 'settings.update', { contextTokens: context });
  const app: number[] = [];
  const local: number[] = [];
  for (let run = 0; run < runs; run++) {
    let started = performance.now();
    await callRouter(services, 'models.selfCheck', {});
    app.push((performance.now() - started) / 1000);
    started = performance.now();
    await runNiah(dir, { lengths, depths, context });
    local.push((performance.now() - started) / 1000);
  }
  await services.close();
  console.log(`self-check grid of ${lengths.length * depths.length} prompts (${lengths.join(', ')} tokens × depths ${depths.join(', ')}), tiny demo model, ${runs} runs`);
  console.log(`  models.selfCheck (the app's engine process): median ${median(app).toFixed(2)} s  (runs: ${app.map((s) => s.toFixed(2)).join(', ')})`);
  console.log(`  runNiah in this process (the floor):          median ${median(local).toFixed(2)} s  (runs: ${local.map((s) => s.toFixed(2)).join(', ')})`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
