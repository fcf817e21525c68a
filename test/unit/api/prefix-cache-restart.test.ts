// The API's prefix cache survives the server: a follow-up after a restart is served from the snapshot the
// first question left, and a damaged snapshot is discarded and the prompt processed again.
import { openSync, existsSync, readSync, writeSync, closeSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadModelText } from '../../../electron/node/runtime/model-text.ts';
import { conversationMessages, documentPrefix } from '../../../electron/node/runtime/prompt.ts';
import { readSnapshotHeader, tensorsOffset } from '../../../electron/node/engine/kv-snapshot.ts';
import { API_SNAPSHOT_MIN_TOKENS } from '../../../electron/node/api/api-engine.ts';
import { listSnapshots } from '../../../electron/node/runtime/prefix-store.ts';
import { apiTinyModel, startApi, type ApiProcess } from './api-process.ts';

const DOCUMENT = Array.from({ length: 90 }, (_, i) => `Entry ${i}: the keeper trimmed lamp ${i * 3} before the storm.`).join('\n');
const documents = [{ title: 'Lighthouse log', format: 'txt', text: DOCUMENT }];

let running: ApiProcess[] = [];
afterEach(async () => {
  await Promise.all(running.map((p) => p.stop()));
  running = [];
});

async function start(model: string, dataDir: string): Promise<ApiProcess> {
  const api = await startApi(model, dataDir);
  running.push(api);
  return api;
}

async function ask(api: ApiProcess, question: string) {
  const response = await fetch(`${api.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${api.key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ messages: conversationMessages(documents, [{ role: 'user', content: question }], 'instructions'), max_tokens: 6, temperature: 0 }),
  });
  expect(response.status).toBe(200);
  const json = await response.json();
  return { text: json.choices[0].message.content as string, prompt: json.usage.prompt_tokens as number, cached: json.usage.prompt_tokens_details.cached_tokens as number };
}

function killed(api: ApiProcess): Promise<void> {
  return new Promise((resolve) => {
    api.child.once('exit', () => resolve());
    api.child.kill('SIGKILL');
  });
}

describe('the API prefix cache across restarts', () => {
  it('serves a follow-up after a restart from the snapshot, and discards a damaged one', async () => {
    const model = await apiTinyModel();
    const text = await loadModelText(model);
    const prefix = documentPrefix((m) => text.encode(m), documents, 'instructions');
    expect(prefix.length).toBeGreaterThan(API_SNAPSHOT_MIN_TOKENS);
    const dataDir = mkdtempSync(join(tmpdir(), 'quire-api-restart-'));

    const first = await start(model, dataDir);
    const opening = await ask(first, 'When was lamp 9 trimmed?');
    expect(opening.cached).toBe(0);
    // Asked in the same process: the live cache; it also waits until the first question's snapshot is written.
    const live = await ask(first, 'Who trimmed the lamps?');
    expect(live.cached).toBeGreaterThanOrEqual(prefix.length);
    const [file, ...more] = await listSnapshots(join(dataDir, 'snapshots'));
    expect(more).toEqual([]);
    expect((await readSnapshotHeader(file.path)).tokenCount).toBe(opening.prompt);
    await killed(first);

    const second = await start(model, dataDir);
    // The key is kept in the secret store: clients set up with it keep working.
    expect(second.key).toBe(first.key);
    const restored = await ask(second, 'Who trimmed the lamps?');
    expect(restored.cached).toBeGreaterThanOrEqual(prefix.length);
    expect(restored.prompt - restored.cached).toBeLessThan(30);
    // The restored cache computes the same answer the live one did.
    expect(restored.text).toBe(live.text);
    await second.stop();

    // One flipped byte in the cached keys: the engine's block checksums catch it.
    const { path } = file;
    const at = tensorsOffset(await readSnapshotHeader(path)) + 1000;
    const fd = openSync(path, 'r+');
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, at);
    byte[0] ^= 0xff;
    writeSync(fd, byte, 0, 1, at);
    closeSync(fd);
    const third = await start(model, dataDir);
    const again = await ask(third, 'Who trimmed the lamps?');
    expect(again.cached).toBe(0);
    expect(again.text).toBe(live.text);
    expect(third.stderr()).toMatch(/discarded and the prompt processed again/);
    expect(existsSync(path)).toBe(false);
  });

  it('writes the snapshot of a prompt just answered before a stopped server exits', async () => {
    const model = await apiTinyModel();
    const text = await loadModelText(model);
    const prefix = documentPrefix((m) => text.encode(m), documents, 'instructions');
    const dataDir = mkdtempSync(join(tmpdir(), 'quire-api-stop-'));
    const first = await start(model, dataDir);
    await ask(first, 'When was lamp 12 trimmed?');
    // SIGTERM at once: the snapshot is written after the answer was sent.
    await first.stop();
    const second = await start(model, dataDir);
    const followUp = await ask(second, 'Which lamp came last?');
    expect(followUp.cached).toBeGreaterThanOrEqual(prefix.length);
  });
});
