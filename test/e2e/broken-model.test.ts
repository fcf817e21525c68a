// The current model's tokenizer.json is damaged on disk (not JSON, truncated, valid JSON of the wrong shape,
// gone). `quire serve` must answer library.list (and a fit check) with a one-line refusal carrying a stable
// code, and keep serving everything else; it used to die of an unhandled rejection in the fit code.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from './rpc-client.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'quire-e2e-broken-'));
const tokenizerPath = join(dataDir, 'models', 'quire-nano', 'tokenizer.json');
let original: string;
let documentId: string;

// One server per damage, so each starts with nothing cached: the damage is met by the first call.
async function withServer(run: (client: RpcClient, server: ServeProcess) => Promise<void>): Promise<void> {
  const server = await startServe({ QUIRE_DATA_DIR: dataDir });
  const client = await RpcClient.open(server);
  try {
    await run(client, server);
  } finally {
    client.close();
    await server.stop();
  }
}

beforeAll(async () => {
  // The first run installs quire-nano and imports a document; the tests then damage the model between runs.
  await withServer(async (client) => {
    const imported = await client.call('library.import', { name: 'note.txt', bytes: new TextEncoder().encode('The boat leaves at nine.') });
    expect(imported.error).toBeUndefined();
    documentId = imported.value.id;
  });
  original = readFileSync(tokenizerPath, 'utf8');
}, 120_000);

afterAll(() => {
  writeFileSync(tokenizerPath, original);
});

const DAMAGE: [string, () => void][] = [
  ['not JSON', () => writeFileSync(tokenizerPath, 'this is not json {')],
  ['truncated', () => writeFileSync(tokenizerPath, original.slice(0, original.length / 2))],
  ['JSON of the wrong shape', () => writeFileSync(tokenizerPath, '{"model": {"type": "BPE"}}')],
  ['JSON null', () => writeFileSync(tokenizerPath, 'null')],
  ['missing', () => rmSync(tokenizerPath)],
];

describe('a broken tokenizer.json in the current model', () => {
  for (const [name, damage] of DAMAGE) {
    it(`${name}: library.list refuses in one line and the server keeps serving`, async () => {
      damage();
      try {
        await withServer(async (client, server) => {
          // Two lists in a row: the second must not find a half-built cache entry either.
          for (let i = 0; i < 2; i++) {
            const listed = await client.call('library.list');
            expect(listed.ok).toBe(false);
            expect(listed.error!.code).toBe('MODEL_CORRUPT');
            expect(listed.error!.message).toMatch(/tokenizer\.json/);
            expect(listed.error!.message).not.toMatch(/\n|    at /);
          }
          const conversation = await client.call('chat.create', { documentIds: [documentId] });
          const fit = await client.call('chat.fit', { documentIds: [documentId] });
          expect(fit.ok).toBe(false);
          expect(fit.error!.code).toBe('MODEL_CORRUPT');
          expect(conversation.ok).toBe(true);
          await new Promise((r) => setTimeout(r, 200));
          expect(server.child.exitCode).toBeNull();
          expect((await client.call('app.info')).ok).toBe(true);
          expect((await client.call('models.installed')).ok).toBe(true);
        });
      } finally {
        writeFileSync(tokenizerPath, original);
      }
    });
  }

  it('repaired, the same data folder lists its documents again', async () => {
    await withServer(async (client) => {
      const listed = await client.call('library.list');
      expect(listed.error).toBeUndefined();
      expect(listed.value.map((d: { id: string }) => d.id)).toEqual([documentId]);
    });
  });
});
