// Merges the GPU kit's parts (kit.json, conformance.json, bench.json, peer.json) into one report, prints the
// Markdown table the README's benchmark section takes, and, where matplotlib is missing (plot.py says so),
// draws the plot with the project's own PNG writer and bitmap font: prefill and decode tokens/s per context,
// Quire's providers next to PyTorch, on a log scale.
//   node bench/gpu/report.ts --dir <folder with the parts> --out gpu-report.json [--md summary.md] [--png plot.png]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { drawText, textWidth } from '../../electron/node/eval/bitmap-font.ts';
import { encodePng } from '../../electron/node/eval/png.ts';

const { values } = parseArgs({ options: { dir: { type: 'string' }, out: { type: 'string' }, md: { type: 'string' }, png: { type: 'string' }, kit: { type: 'string' }, env: { type: 'string' } } });
const dir = values.dir ?? '.';
const read = (file: string) => (existsSync(join(dir, file)) ? (JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, any>) : null);

const report = {
  kind: 'quire-gpu-report',
  written: new Date().toISOString(),
  kit: values.kit && existsSync(values.kit) ? JSON.parse(readFileSync(values.kit, 'utf8')) : read('kit.json'),
  environment: values.env && existsSync(values.env) ? JSON.parse(readFileSync(values.env, 'utf8')) : read('environment.json'),
  conformance: read('conformance.json'),
  // vitest's JSON report of test/conformance/*.test.ts.
  conformanceSuite: read('conformance-suite.json'),
  bench: read('bench.json'),
  peer: read('peer.json'),
};
if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 1)}\n`);

// --- Markdown --------------------------------------------------------------------------------------------
const f = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-');
const lines: string[] = [];
const env = report.environment;
if (env) lines.push(`Device: ${env.gpu ?? 'unknown GPU'}; driver ${env.driver ?? '?'}; ${env.vulkan ?? ''}`.trim());
const suite = report.conformanceSuite;
if (suite) {
  const failed = (suite.testResults ?? []).flatMap((f: any) => (f.assertionResults ?? []).filter((t: any) => t.status === 'failed').map((t: any) => t.fullName ?? t.title));
  lines.push(`Conformance suite (test/conformance): **${suite.numFailedTests === 0 && suite.success !== false ? 'PASS' : 'FAIL'}**, ${suite.numPassedTests}/${suite.numTotalTests} tests${failed.length ? `; failing: ${failed.slice(0, 5).join('; ')}` : ''}.`);
}
if (report.conformance) {
  const s = report.conformance.summary;
  lines.push(`Conformance (${s.providers.join(', ')}; ${s.variants.join(', ')}): **${s.verdict}**, ${s.checks - s.failed}/${s.checks} checks, ${s.skipped} skipped.`);
}
const bench = report.bench;
const peer = report.peer;
if (bench) {
  const L = bench.shape.layers;
  lines.push(
    `8B-shaped model (hidden ${bench.shape.hiddenSize}, ${bench.shape.heads}/${bench.shape.kvHeads} heads × ${bench.shape.headDim}, FFN ${bench.shape.intermediateSize}, vocab ${bench.shape.vocabSize}), ` +
      `${L} layers measured, ${bench.shape.targetLayers}-layer figures scaled; ${bench.shape.precision} weights, ${bench.shape.kvDtype} KV.`,
  );
  lines.push('');
  lines.push(`| engine | context | prefill tok/s (${L}L) | prefill tok/s (32L est.) | decode tok/s (${L}L) | decode tok/s (32L est.) | TTFT cache s | TTFT snapshot s | peak MiB | planned MiB |`);
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of bench.results) {
    if (r.error) lines.push(`| Quire ${r.provider} | - | ${r.error} | | | | | | | |`);
    for (const [i, row] of r.rows.entries()) {
      const s = r.scaled?.rows[i] ?? {};
      lines.push(
        `| Quire ${r.provider} | ${row.context} | ${f(row.prefillTps, 0)} | ${f(s.prefillTps, 0)} | ${f(row.decodeTps, 1)} | ${f(s.decodeTps, 1)} | ${f(row.ttftCache, 3)} | ${f(row.ttftSnapshot, 3)} | ${f(row.peakMiB, 0)} | ${f(row.plannedMiB, 0)} |` +
          (row.skipped ? ` skipped: ${row.skipped}` : '') +
          (row.errors?.length ? ` ${row.errors.join('; ')}` : ''),
      );
    }
  }
  if (peer?.contexts?.length) {
    const scale = bench.shape.targetLayers / L;
    for (const row of peer.contexts) {
      lines.push(`| PyTorch bf16 sdpa | ${row.context} | ${f(row.prefillTps, 0)} | ${f(row.prefillTps / scale, 0)} | ${f(row.decodeTps, 1)} | - | ${f(row.ttftCache, 3)} | - | ${f(row.peakMiB, 0)} | - |${row.skipped ? ` skipped: ${row.skipped}` : ''}${row.error ? ` ${row.error}` : ''}`);
    }
  } else if (peer?.error) lines.push(`PyTorch peer: ${peer.error}.`);
  for (const r of bench.results) {
    if (r.scaled?.plannedMiB128K) lines.push(`Planner, 32 layers at 131072 tokens (${r.provider}): ${Object.entries(r.scaled.plannedMiB128K).map(([k, v]) => `${k} KV ${f((v as number) / 1024, 1)} GiB`).join(', ')}.`);
  }
}
if (peer?.numerics) for (const [k, m] of Object.entries(peer.numerics as Record<string, any>)) if (m.cosine !== undefined) lines.push(`Logits ${k}: cosine ${m.cosine.toFixed(6)}, top-1 ${m.top1Same ? 'same' : 'different'}, top-10 overlap ${m.top10Overlap}/10.`);
const md = `${lines.join('\n')}\n`;
process.stdout.write(md);
if (values.md) writeFileSync(values.md, md);

// --- Fallback PNG ----------------------------------------------------------------------------------------
if (values.png && bench) {
  const series: { name: string; color: number[]; prefill: Map<number, number>; decode: Map<number, number> }[] = [];
  const colors = [[31, 119, 180], [214, 39, 40], [44, 160, 44], [255, 127, 14]];
  for (const r of bench.results) {
    series.push({ name: `QUIRE ${r.provider}`, color: colors[series.length % 4], prefill: new Map(r.rows.map((x: any) => [x.context, x.prefillTps])), decode: new Map(r.rows.map((x: any) => [x.context, x.decodeTps])) });
  }
  if (peer?.contexts?.length) {
    series.push({ name: 'PYTORCH', color: colors[series.length % 4], prefill: new Map(peer.contexts.map((x: any) => [x.context, x.prefillTps])), decode: new Map(peer.contexts.map((x: any) => [x.context, x.decodeTps])) });
  }
  const contexts: number[] = bench.contexts;
  const W = 900, H = 420, scale = 2;
  const px = new Uint8Array(W * H * 3).fill(255);
  const rect = (x: number, y: number, w: number, h: number, c: number[]) => {
    for (let yy = Math.max(0, y); yy < Math.min(H, y + h); yy++) for (let xx = Math.max(0, x); xx < Math.min(W, x + w); xx++) px.set(c, (yy * W + xx) * 3);
  };
  const panel = (x0: number, title: string, key: 'prefill' | 'decode') => {
    const top = 60, bottom = H - 50, width = 400;
    const vals = series.flatMap((s) => contexts.map((c) => s[key].get(c))).filter((v): v is number => typeof v === 'number' && v > 0);
    drawText(px, W, x0, 30, title, scale, [0, 0, 0]);
    if (!vals.length) return;
    const lo = Math.floor(Math.log10(Math.min(...vals))) , hi = Math.ceil(Math.log10(Math.max(...vals)) + 1e-9);
    const y = (v: number) => bottom - ((Math.log10(v) - lo) / Math.max(1, hi - lo)) * (bottom - top);
    rect(x0, bottom, width, 1, [40, 40, 40]);
    for (let e = lo; e <= hi; e++) {
      rect(x0, Math.round(y(10 ** e)), width, 1, [220, 220, 220]);
      drawText(px, W, x0 - textWidth(`1E${e}`, 1) - 4, Math.round(y(10 ** e)) - 3, `1E${e}`, 1, [40, 40, 40]);
    }
    const group = width / contexts.length, bar = Math.max(4, Math.floor((group - 20) / Math.max(1, series.length)));
    contexts.forEach((c, i) => {
      const gx = x0 + i * group + 10;
      series.forEach((s, j) => {
        const v = s[key].get(c);
        if (typeof v === 'number' && v > 0) rect(Math.round(gx + j * bar), Math.round(y(v)), bar - 2, Math.round(bottom - y(v)), s.color);
      });
      const label = c >= 1024 ? `${c / 1024}K` : String(c);
      drawText(px, W, Math.round(gx + (group - 20) / 2 - textWidth(label, scale) / 2), bottom + 8, label, scale, [40, 40, 40]);
    });
  };
  panel(50, `PREFILL TOK/S (${bench.shape.layers}L)`, 'prefill');
  panel(490, `DECODE TOK/S (${bench.shape.layers}L)`, 'decode');
  series.forEach((s, j) => {
    rect(50 + j * 200, H - 22, 12, 12, s.color);
    drawText(px, W, 68 + j * 200, H - 21, s.name.toUpperCase(), scale - 1, [0, 0, 0]);
  });
  writeFileSync(values.png, encodePng(W, H, px));
  process.stdout.write(`plot (project PNG writer): ${values.png}\n`);
}
