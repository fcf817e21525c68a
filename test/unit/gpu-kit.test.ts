// The GPU kit's parts that run anywhere, kept working between device loans: the shell scripts parse, the
// conformance runner and the bench run on cpu at tiny sizes and write what run.sh merges, report.ts writes the
// Markdown and the fallback PNG, and peer.py says why it is skipped where torch is missing. The whole dry run
// (pack within the limits, unpack in a clean environment on the packed Node, WebGPU on SwiftShader) takes a few
// minutes and is bench/gpu/dry-run.sh.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..', '..');
const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'quire-gpu-kit-'));
});

describe('GPU kit (bench/gpu)', () => {
  it('its shell scripts parse', () => {
    for (const f of ['pack.sh', 'run.sh', 'dry-run.sh']) {
      const r = spawnSync('bash', ['-n', join(REPO, 'bench', 'gpu', f)], { encoding: 'utf8' });
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
    }
  });

  it('the conformance runner passes on cpu at tiny sizes and writes its JSON', () => {
    const out = join(dir, 'conformance.json');
    const r = node(['bench/gpu/conformance.ts', '--dry', '--providers', 'cpu', '--max', '40', '--out', out, '--dir', join(dir, 'conformance')]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('conformance: PASS');
    const { summary, rows } = JSON.parse(readFileSync(out, 'utf8'));
    expect(summary.verdict).toBe('PASS');
    // Every chunk size, decode after prefill and a snapshot restored in a new session.
    expect(new Set(rows.filter((x: { check: string }) => x.check === 'prefill').map((x: { chunk: number }) => x.chunk))).toEqual(new Set([1, 7, 31, 32, 64, 512]));
    expect(rows.some((x: { check: string; pass: boolean }) => x.check === 'decode' && x.pass)).toBe(true);
    expect(rows.some((x: { check: string; pass: boolean }) => x.check === 'snapshot' && x.pass)).toBe(true);
  });

  it('the bench measures cpu and report.ts writes the table and the fallback plot', () => {
    const r = node(['bench/gpu/bench.ts', '--dry', '--providers', 'cpu', '--contexts', '64,128', '--decode', '4', '--prompt', '32', '--dir', join(dir, 'bench'), '--out', join(dir, 'bench.json')]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const bench = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8'));
    const cpu = bench.results[0];
    expect(cpu.provider).toBe('cpu');
    for (const row of cpu.rows) {
      for (const k of ['prefillTps', 'decodeTps', 'ttftNone', 'ttftCache', 'ttftSnapshot', 'plannedMiB']) expect(row[k], `${k} at ${row.context}`).toBeGreaterThan(0);
      expect(row.errors).toEqual([]);
    }
    expect(cpu.scaled.rows[0].prefillTps).toBeCloseTo((cpu.rows[0].prefillTps * bench.shape.layers) / 32, 6);
    expect(statSync(cpu.logitsFile).size).toBe(4 * bench.shape.vocabSize);

    const report = node(['bench/gpu/report.ts', '--dir', dir, '--out', join(dir, 'gpu-report.json'), '--md', join(dir, 'summary.md'), '--png', join(dir, 'plot.png')]);
    expect(report.status, report.stderr).toBe(0);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(/\| Quire cpu \| 64 \|/);
    expect([...readFileSync(join(dir, 'plot.png')).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const merged = JSON.parse(readFileSync(join(dir, 'gpu-report.json'), 'utf8'));
    expect(merged.conformance.summary.verdict).toBe('PASS');
    expect(merged.bench.results[0].rows).toHaveLength(2);
  });

  it('peer.py says why it is skipped where torch is missing', () => {
    const python = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' });
    if (python.error || python.status === 0) return; // no python3, or torch present: nothing to check here
    const out = join(dir, 'peer.json');
    const r = spawnSync('python3', [join(REPO, 'bench', 'gpu', 'peer.py'), '--bench', join(dir, 'bench.json'), '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('torch not installed here');
    expect(existsSync(out) && JSON.parse(readFileSync(out, 'utf8')).error).toMatch(/torch not installed here/);
  });
});
