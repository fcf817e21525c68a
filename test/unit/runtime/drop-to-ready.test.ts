// Issue 21 point 2, the order of a drop: the model's tokenizer loads while the file is parsed, and the count starts
// from the text the parser gave, not from the book read back out of the database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ImportProgress } from '../../../electron/common/document.ts';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';
import { callRouter } from '../router-call.ts';

let services: AppServices;
afterAll(async () => {
  await services?.close();
});

describe('dropping a document', () => {
  it('loads the tokenizer before the parse ends and counts from the parsed text', async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-drop-'));
    await installTinyModel(root);
    services = createAppServices({ mode: 'cli', root });
    const model = services.activeModel();
    const warm = vi.spyOn(services.text, 'warm');
    const get = vi.spyOn(services.documents, 'get');
    // How many tokenizer loads had been asked for when the parse ended (the store phase follows it).
    let warmedWhenParsed: number | null = null;
    services.bus.subscribe((name, payload) => {
      if (name === 'library.progress' && (payload as ImportProgress).phase === 'store' && warmedWhenParsed === null) warmedWhenParsed = warm.mock.calls.length;
    });
    const text = Array.from({ length: 300 }, (_, i) => `Entry ${i + 1}: the keeper logged the tide at dawn.`).join('\n');
    const { id } = await callRouter(services, 'library.import', { name: 'log.txt', bytes: new TextEncoder().encode(text) });
    const listed = (await callRouter(services, 'library.list', {})).find((d) => d.id === id)!;
    const fit = await callRouter(services, 'chat.fit', { documentIds: [id] });

    expect(warmedWhenParsed).toBe(1);
    expect(warm).toHaveBeenCalledWith(model.dir);
    expect(listed.tokens).toBeGreaterThan(300);
    expect(fit.documentTokens).toBe(listed.tokens);
    // Counted and fit-checked without reading the book back.
    expect(get).not.toHaveBeenCalled();
  });

  it('refuses a model folder whose tokenizer is gone, naming the file', async () => {
    const model = services.activeModel();
    rmSync(join(model.dir, 'tokenizer.json'));
    // Another document set than the one counted above: its prefix is not remembered.
    const counting = services.prompts.count(model, { id: 'other', load: () => ({ title: 'x', format: 'txt', text: 'x' }) });
    await expect(counting).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringContaining('tokenizer.json cannot be read') });
  });
});
