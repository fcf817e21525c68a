// Roofline arithmetic of docs/design.md §3 and the table/plot output the engine benches share.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
export const seconds = (start: number) => (performance.now() - start) / 1000;

// Decode reads every weight and the whole valid KV once per token: its floor is memory bandwidth.
export function copyBandwidth(): number {
  const a = Buffer.alloc(256 * 1024 * 1024, 1);
  const b = Buffer.alloc(a.length);
  const start = performance.now();
  for (let i = 0; i < 4; i++) a.copy(b);
  return (2 * 4 * a.length) / seconds(start);
}

export interface ShapeForFlops {
  layers: number;
  heads: number;
  headDim: number;
}

// docs/design.md §3 prefill arithmetic for a model shape: 2·params FLOPs per token, plus causal attention QKᵀ and PV.
export function prefillFlops(shape: ShapeForFlops, params: number, n: number): number {
  return 2 * params * n + 2 * shape.layers * shape.heads * shape.headDim * n * n;
}

// What the best measured FLOP/s means for Llama-3.1-8B (docs/design.md §3: 1.4e10·N + 2.6e5·N² FLOPs).
export function eightBEstimate(bestGflops: number, bandwidth: number): string {
  const eightB = (n: number) => 1.4e10 * n + 2.6e5 * n * n;
  return (
    `Llama-3.1-8B at this CPU's best ${bestGflops.toFixed(1)} GFLOP/s (docs/design.md §3: 1.4e10·N + 2.6e5·N² FLOPs): ` +
    [16384, 131072, 1048576].map((n) => `${n / 1024}K prefill ≈ ${(eightB(n) / bestGflops / 1e9 / 3600).toFixed(1)} h`).join(', ') +
    `; decode ≥ (16 GB + 128 KiB·N) / ${(bandwidth / 1e9).toFixed(0)} GB/s per token.`
  );
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

export interface PlotSeries {
  name: string;
  color: string;
  dashed?: boolean;
  values: number[]; // one per x; NaN for missing
}

// One SVG with log axes: x (context) in powers of two, y in powers of ten.
export function logLogSvg(xs: number[], series: PlotSeries[], xLabel: string): string {
  const W = 640;
  const H = 360;
  const pad = 50;
  const ys = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && v > 0);
  const [yMin, yMax] = [Math.log10(Math.min(...ys)) - 0.1, Math.log10(Math.max(...ys)) + 0.1];
  const [xMin, xMax] = [Math.log2(xs[0]), Math.log2(xs.at(-1)!) + 1e-9];
  const px = (n: number) => pad + ((Math.log2(n) - xMin) / Math.max(xMax - xMin, 1)) * (W - 2 * pad);
  const py = (v: number) => H - pad - ((Math.log10(v) - yMin) / (yMax - yMin)) * (H - 2 * pad);
  const lines = series.map((s, i) => {
    const points = xs.flatMap((x, j) => (Number.isFinite(s.values[j]) ? [`${px(x).toFixed(1)},${py(s.values[j]).toFixed(1)}`] : []));
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    return `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${points.join(' ')}"/><text x="${W - 220}" y="${20 + 16 * i}" fill="${s.color}" font-size="12">${s.name}</text>`;
  });
  const ticks = xs.map((x) => `<text x="${px(x)}" y="${H - pad + 16}" font-size="11" text-anchor="middle">${x}</text>`);
  const yTicks = Array.from({ length: Math.floor(yMax) - Math.ceil(yMin) + 1 }, (_, i) => Math.ceil(yMin) + i).map(
    (e) => `<text x="${pad - 6}" y="${py(10 ** e) + 4}" font-size="11" text-anchor="end">1e${e}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="white"/>
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="black"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="black"/>
<text x="${W / 2}" y="${H - 10}" font-size="12" text-anchor="middle">${xLabel}</text>
${ticks.join('\n')}
${yTicks.join('\n')}
${lines.join('\n')}
</svg>\n`;
}

// Peak arithmetic of these cores from their clock and vector units: fp32 FMA (two 256-bit FMA pipes: 32 FLOP
// per cycle) and int8 dot products (AVX-512 VNNI: 64 multiply-adds per cycle, 128 ops). Nominal: the clock is
// the one /proc/cpuinfo reports, and a server core with two 512-bit units issues two VPDPBUSD a cycle, so a
// kernel can pass 100 % of this figure (Quire's int4 kernel does on this Xeon: bench/int4-kernel.ts).
// int8Avx2: the int4 kernel's AVX2 path issues a VPMADDUBSW (32 multiply-adds into int16 pairs) and a VPADDW
// for every 32, so two 256-bit pipes give it 32 multiply-adds (64 ops) a cycle; a core with a third vector pipe
// for the adds can pass 100 % of it.
export function corePeaks(): { fp32: number; int8: number; int8Avx2: number; described: string } {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(info)?.[1] ?? 0);
  const vnni = /\bavx512_vnni\b/.test(info);
  const cores = availableParallelism();
  const fp32 = cores * mhz * 1e6 * 32;
  const int8 = vnni ? fp32 * 4 : fp32;
  const int8Avx2 = fp32 * 2;
  return {
    fp32,
    int8,
    int8Avx2,
    described: `${cores} × ${mhz.toFixed(0)} MHz: fp32 FMA ${(fp32 / 1e9).toFixed(0)} GFLOP/s, int8${vnni ? ' VNNI' : ''} ${(int8 / 1e9).toFixed(0)} GOP/s, int8 AVX2 ${(int8Avx2 / 1e9).toFixed(0)} GOP/s`,
  };
}

// Two engines' (or kernels') last-token logits on the same ids: cosine, and whether their top-1 is the same.
export function agreement(a: Float32Array, b: Float32Array): { cosine: number; top1: boolean } {
  let [ab, aa, bb, ia, ib] = [0, 0, 0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
    if (a[i] > a[ia]) ia = i;
    if (b[i] > b[ib]) ib = i;
  }
  return { cosine: ab / Math.sqrt(aa * bb), top1: ia === ib };
}
