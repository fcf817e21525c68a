// The fit check loads nothing (no engine process, no session), plans for the device where the cache lives,
// uses one rule for the answer's room, and every piece of advice works when applied.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstalledModel } from '../../../electron/common/contract.ts';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { loadModelText } from '../../../electron/node/runtime/model-text.ts';
import { DEFAULT_HEADROOM_FRACTION, planFit } from '../../../electron/node/engine/memory-planner.ts';
import { openModelFolder } from '../../../electron/node/engine/model-folder.ts';
import { modelAt } from '../../../electron/node/installed-models.ts';
import { ModelFit } from '../../../electron/node/runtime/model-fit.ts';
import type { DocumentPrompts } from '../../../electron/node/runtime/prompt-ids.ts';
import { convertCheckpoint } from '../../../models/convert.ts';
import { answerRoom } from '../../../models/model-spec.ts';
import { writeTinyCheckpoint } from '../../../models/tiny-checkpoint.ts';
import type { DocumentStore } from '../../../electron/node/documents/store.ts';
import { callRouter } from '../router-call.ts';

const CONTEXT = 4096;
let services: AppServices;
let modelDir: string;
let engineStarts = 0;

// Text of at least `tokens` tokens under the model's own tokenizer.
async function textOf(tokens: number): Promise<string> {
  const { tokenizer } = await loadModelText(modelDir);
  const line = (i: number) => `Chapter ${i}. The keeper of the lighthouse wrote the tide tables by hand every evening.`;
  const perLine = tokenizer.encode(line(1), { parseSpecial: false }).length;
  return Array.from({ length: Math.ceil(tokens / perLine) }, (_, i) => line(i + 1)).join('\n');
}

async function importText(name: string, text: string): Promise<string> {
  return (await callRouter(services, 'library.import', { name, bytes: new TextEncoder().encode(text) })).id;
}

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'quire-fit-'));
  const hf = join(mkdtempSync(join(tmpdir(), 'quire-fit-hf-')), 'Nano-like');
  // quire-nano's shape of problem: a model converted for a 4K context.
  await writeTinyCheckpoint(hf, { originalContext: 1024, factor: 8, seed: 3 });
  modelDir = join(root, 'models', 'nano-like');
  await convertCheckpoint(hf, modelDir, { precision: 'fp32', context: CONTEXT });
  services = createAppServices({
    mode: 'cli',
    root,
    engineProcess: () => {
      engineStarts++;
      throw new Error('the fit check must not start the engine');
    },
  });
  await callRouter(services, 'settings.update', { provider: 'cpu' });
}, 120_000);

afterAll(async () => {
  await services?.close();
});

describe('fit check', () => {
  it('loads nothing, keeps one answer rule, and its advice makes the document fit', async () => {
    const settings = await callRouter(services, 'settings.get', {});
    // The default longest answer (1,024) is capped at an eighth of the 4K context: 512 tokens of room.
    const room = answerRoom(CONTEXT, settings.answerTokens);
    expect(room).toBe(512);
    const id = await importText('almost-full.txt', await textOf(CONTEXT - room + 60));
    const plan = await callRouter(services, 'chat.fit', { documentIds: [id] });
    expect(plan).toMatchObject({ context: CONTEXT, modelContext: CONTEXT, answerRoom: room, fitsContext: false, fits: false });
    expect(plan.documentTokens + room).toBeGreaterThan(CONTEXT);
    expect(plan.memory.device).toBe('system memory (RAM)');
    // The model cannot take a longer context, so none is offered; a shorter answer is.
    expect(plan.advice.map((a) => a.kind)).not.toContain('context');
    const lower = plan.advice.find((a) => a.kind === 'answer');
    expect(lower).toBeDefined();
    await callRouter(services, 'settings.update', { answerTokens: lower!.kind === 'answer' ? lower!.answerTokens : 0 });
    const after = await callRouter(services, 'chat.fit', { documentIds: [id] });
    expect(after).toMatchObject({ fitsContext: true, fitsMemory: true, fits: true, advice: [] });
    await callRouter(services, 'settings.update', { answerTokens: settings.answerTokens });
    expect(engineStarts).toBe(0);
  }, 120_000);

  it('says a book far past the model context cannot fit, in the chat and in the library', async () => {
    const id = await importText('book.txt', await textOf(3 * CONTEXT));
    const plan = await callRouter(services, 'chat.fit', { documentIds: [id] });
    expect(plan.fits).toBe(false);
    expect(plan.advice.map((a) => a.kind)).toEqual(['documents']);
    const entry = (await callRouter(services, 'library.list', {})).find((e) => e.id === id)!;
    expect(entry.fit).toMatchObject({ modelId: 'nano-like', context: CONTEXT, fits: false });
    expect(entry.fit!.reason).toMatch(/more than the 4K context/);
    expect(engineStarts).toBe(0);
  }, 120_000);

  it('plans with the memory of the cache device and advises a smaller cache where that fits', () => {
    const model: InstalledModel = modelAt(modelDir);
    const dims = openModelFolder(modelDir).dims;
    const total = (kv: 'fp16' | 'int8') => planFit(dims, kv, { availableBytes: Number.MAX_SAFE_INTEGER, context: CONTEXT, prefillChunk: 512 }).bytes.total;
    // A device with room for an int8 cache of this context but not an fp16 (let alone the model's fp32) one.
    const availableBytes = Math.round((total('int8') + total('fp16')) / 2 / (1 - DEFAULT_HEADROOM_FRACTION));
    const fit = new ModelFit({} as DocumentStore, {} as DocumentPrompts, () => ({ device: 'Test GPU (VRAM)', availableBytes, source: 'test' }));
    const plan = fit.plan({ model, settings: { contextTokens: CONTEXT, answerTokens: 64, provider: 'webgpu' }, documentTokens: 100 });
    expect(plan).toMatchObject({ fitsContext: true, fitsMemory: false, fits: false, memory: { device: 'Test GPU (VRAM)' } });
    expect(plan.reason).toMatch(/does not fit Test GPU \(VRAM\)/);
    expect(plan.choices[0]).toMatchObject({ kvDtype: 'fp32', installed: true, fits: false });
    expect(plan.advice).toContainEqual(expect.objectContaining({ kind: 'convert', kvDtype: 'int8' }));
    // A shorter context that still holds the document fits the model as it is.
    expect(plan.advice).toContainEqual(expect.objectContaining({ kind: 'context' }));
    const shorter = plan.advice.find((a) => a.kind === 'context')!;
    const again = fit.plan({ model, settings: { contextTokens: shorter.kind === 'context' ? shorter.contextTokens : 0, answerTokens: 64, provider: 'webgpu' }, documentTokens: 100 });
    expect(again.fits).toBe(true);
  });
});
