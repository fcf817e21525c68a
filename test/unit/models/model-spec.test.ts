// One model spec: the contract, the planner, the graph and the manifest agree with it, and invalid
// conversions are refused before anything is downloaded or written.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InstallRequest, InstalledModel, KvDtype, Provider } from '../../../electron/common/contract.ts';
import { planFit } from '../../../electron/node/engine/memory-planner.ts';
import { loadNativeAddon } from '../../../electron/node/engine/native-addon.ts';
import { openModelFolder } from '../../../electron/node/engine/model-folder.ts';
import { convertCheckpoint } from '../../../models/convert.ts';
import { readManifest } from '../../../models/manifest.ts';
import {
  conversionChoices,
  GRAPH_IO,
  installKv,
  KV_DTYPES,
  KV_STORAGE,
  kvBytesPerToken,
  kvDims,
  kvRowElements,
  MANIFEST_FILE,
  offeredKvDtypes,
  PRECISIONS,
  PROVIDER_CHOICES,
  resolveConversion,
} from '../../../models/model-spec.ts';
import { writeTinyCheckpoint } from '../../../models/tiny-checkpoint.ts';
import { runCli } from '../run-cli.ts';

let hf: string;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'quire-spec-'));
  hf = join(root, 'hf');
  await writeTinyCheckpoint(hf, { seed: 5 });
});

describe('model spec', () => {
  it('is what the contract offers', () => {
    expect(KvDtype.options).toEqual(KV_DTYPES);
    expect(Provider.options).toEqual(PROVIDER_CHOICES);
    expect(InstalledModel.shape.precision.options).toEqual(PRECISIONS);
  });

  it('accepts the default GPU install (int4 weights, fp16 activations and cache) and refuses what cannot run', () => {
    // The Models screen installs int4 with Settings' default fp16 cache: valid, with fp16 activations.
    expect(resolveConversion({ precision: 'int4', kv: 'fp16' })).toEqual({ precision: 'int4', io: 'fp16', kv: 'fp16' });
    for (const kv of ['int8', 'int4'] as const) {
      expect(resolveConversion({ precision: 'int4', kv }, { provider: 'cuda' })).toEqual({ precision: 'int4', io: 'fp16', kv });
      expect(resolveConversion({ precision: 'int4', kv }, { provider: 'cpu' })).toEqual({ precision: 'int4', io: 'fp32', kv });
    }
    expect(() => resolveConversion({ precision: 'fp32', kv: 'fp16' })).toThrow(/INVALID_INPUT|fp16 cache needs fp16 activations/);
    expect(() => resolveConversion({ precision: 'int4', io: 'fp16' }, { provider: 'webgpu', float16: false })).toThrow(/no 16-bit float shaders/);
    // WebGPU's int4 kernels compute in f16 whatever the activations: without shader-f16 only fp32 weights run.
    expect(() => resolveConversion({ precision: 'int4', io: 'fp32', kv: 'fp32' }, { provider: 'webgpu', float16: false })).toThrow(/int4 weights need 16-bit float shaders/);
    expect(conversionChoices({ provider: 'webgpu', float16: false }).every((c) => c.io === 'fp32' && c.precision === 'fp32')).toBe(true);
    // What the screens offer: on a device without 16-bit floats the exact cache is fp32, and Settings' fp16 default
    // installs as that; elsewhere the user's choice stands.
    const noF16 = conversionChoices({ provider: 'webgpu', float16: false });
    expect(offeredKvDtypes(noF16)[0]).toBe('fp32');
    expect(offeredKvDtypes(noF16)).not.toContain('fp16');
    expect(installKv(noF16, 'fp16')).toBe('fp32');
    const cpu = conversionChoices({ provider: 'cpu' });
    expect(offeredKvDtypes(cpu)).toEqual(['fp16', 'int8', 'int4']);
    expect(installKv(cpu, 'int8')).toBe('int8');
    // The contract refuses an invalid request before the installer (and its download) sees it.
    expect(InstallRequest.safeParse({ catalogId: 'ultralong-8b-1m', precision: 'int4', kv: 'fp16' }).success).toBe(true);
    const bad = InstallRequest.safeParse({ catalogId: 'ultralong-8b-1m', precision: 'fp32', kv: 'fp16' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].message).toMatch(/fp16 cache needs fp16 activations/);
  });

  it('agrees with the planner and the graph for every cache of an int4 model', async () => {
    const addon = loadNativeAddon();
    expect(addon.ok).toBe(true);
    for (const kv of ['fp16', 'int8', 'int4'] as const) {
      const out = join(root, `int4-${kv}`);
      const manifest = await convertCheckpoint(hf, out, { precision: 'int4', kv });
      const folder = openModelFolder(out);
      const perToken = kvBytesPerToken(kvDims(manifest.config), kv);
      expect(manifest.kvBytesPerToken).toBe(perToken);
      expect(planFit(folder.dims, kv, { availableBytes: 1e12, context: 100, prefillChunk: 16 }).bytes.kv).toBe(100 * perToken);
      if (!addon.ok) continue;
      const session = new addon.addon.Session(folder.modelPath, { provider: 'cpu' });
      try {
        const inputs = session.describe().inputs;
        const past = inputs.find((i) => i.name === GRAPH_IO.past(0, 'key'))!;
        expect(past.elementType).toBe(KV_STORAGE[kv].elementType);
        expect(past.shape.at(-1)).toBe(kvRowElements(manifest.config.headDim, kv));
        expect(inputs.find((i) => i.name === GRAPH_IO.cosCache)!.elementType).toBe(manifest.ioDtype === 'fp16' ? 10 : 1);
        expect(inputs.map((i) => i.name)).toEqual(expect.arrayContaining([GRAPH_IO.inputIds, GRAPH_IO.seqlensK, GRAPH_IO.totalSequenceLength, GRAPH_IO.numLogitsToKeep]));
      } finally {
        session.release();
      }
    }
  }, 120_000);

  it('reads quire.json through its schema: damaged is MODEL_CORRUPT, foreign or old is UNSUPPORTED_MODEL', async () => {
    const out = join(root, 'fp32');
    await convertCheckpoint(hf, out, { precision: 'fp32' });
    const good = readFileSync(join(out, MANIFEST_FILE), 'utf8');
    const edit = (change: (m: Record<string, unknown>) => void) => {
      const m = JSON.parse(good);
      change(m);
      writeFileSync(join(out, MANIFEST_FILE), JSON.stringify(m));
    };
    const cases: [string, () => void, 'MODEL_CORRUPT' | 'UNSUPPORTED_MODEL'][] = [
      ['hand-edited cache dtype', () => edit((m) => (m.kvDtype = 'int8')), 'MODEL_CORRUPT'],
      ['unknown dtype', () => edit((m) => (m.ioDtype = 'bf16')), 'MODEL_CORRUPT'],
      ['missing config', () => edit((m) => delete m.config), 'MODEL_CORRUPT'],
      ['truncated file', () => writeFileSync(join(out, MANIFEST_FILE), good.slice(0, 100)), 'MODEL_CORRUPT'],
      ['newer version', () => edit((m) => (m.version = 2)), 'UNSUPPORTED_MODEL'],
      ['foreign file', () => writeFileSync(join(out, MANIFEST_FILE), '{"name":"x"}'), 'UNSUPPORTED_MODEL'],
    ];
    for (const [what, damage, code] of cases) {
      damage();
      let error: unknown;
      try {
        readManifest(out);
      } catch (e) {
        error = e;
      }
      expect(error, what).toMatchObject({ code });
      const cli = await runCli(['inspect', 'model', out, '--json']);
      expect(cli.code, what).not.toBe(0);
      expect(cli.stderr.trim().split('\n'), what).toHaveLength(1);
      expect(cli.stderr, what).toMatch(new RegExp(`^quire: ${code}: `));
    }
    writeFileSync(join(out, MANIFEST_FILE), good);
    expect(readManifest(out).kvDtype).toBe('fp32');
  }, 60_000);
});
