import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { calls } from '../../../electron/common/contract.ts';
import { openDatabase } from '../../../electron/node/db.ts';
import { EngineStore, SPEED_SAMPLES } from '../../../electron/node/remote/engines.ts';
import { engineKeySecret, SecretStore } from '../../../electron/node/secrets.ts';
import { startVllmStub, type VllmStub } from '../../fixtures/vllm-stub.ts';

const KEY = 'sk-engine-store-5b1e';
let stub: VllmStub | null = null;
afterEach(async () => {
  await stub?.close();
  stub = null;
});

function setUp() {
  const root = mkdtempSync(join(tmpdir(), 'quire-engines-'));
  const db = openDatabase(join(root, 'quire.db'));
  const secrets = new SecretStore(root);
  return { root, db, secrets, engines: new EngineStore(db, secrets, { retryDelaysMs: [] }) };
}

describe('EngineStore', () => {
  it('keeps each model’s measured reading speed across a reopen, and forgets it with its engine', async () => {
    stub = await startVllmStub({});
    const { root, engines } = setUp();
    const { engine } = await engines.add({ name: 'Lab', baseUrl: stub.baseUrl });
    expect(engines.speed(engine.id, 'm')).toBe(0);
    engines.recordSpeed(engine.id, 'm', 1200);
    engines.recordSpeed(engine.id, 'm', 1500.5);
    engines.recordSpeed(engine.id, 'other', Number.NaN);
    engines.recordSpeed('no-such-engine', 'm', 10);
    const reopened = new EngineStore(openDatabase(join(root, 'quire.db')), new SecretStore(root));
    // The median of the measures: between the two.
    expect(reopened.speed(engine.id, 'm')).toBe(1350.25);
    expect(reopened.speed(engine.id, 'other')).toBe(0);
    expect(reopened.speed('no-such-engine', 'm')).toBe(0);
    reopened.remove(engine.id);
    const again = await reopened.add({ name: 'Lab', baseUrl: stub.baseUrl });
    expect(reopened.speed(engine.id, 'm')).toBe(0);
    expect(reopened.speed(again.engine.id, 'm')).toBe(0);
  });

  it('keeps a robust speed: one odd measure among the last ones does not move it, old ones are forgotten', async () => {
    stub = await startVllmStub({});
    const { engines } = setUp();
    const { engine } = await engines.add({ name: 'Lab', baseUrl: stub.baseUrl });
    for (const speed of [1000, 1100, 900, 1050]) engines.recordSpeed(engine.id, 'm', speed);
    // A prompt the server had cached read at 62,549 tokens/s (issue 26): the estimate stays the server's own.
    engines.recordSpeed(engine.id, 'm', 62_549);
    expect(engines.speed(engine.id, 'm')).toBe(1050);
    // A faster server now: after SPEED_SAMPLES new measures the old ones no longer count.
    for (let i = 0; i < SPEED_SAMPLES; i++) engines.recordSpeed(engine.id, 'm', 5000);
    expect(engines.speed(engine.id, 'm')).toBe(5000);
  });

  it('lists an engine’s models once per session, and again when the Engines screen checks it', async () => {
    stub = await startVllmStub({});
    const { engines } = setUp();
    const { engine } = await engines.add({ name: 'Lab', baseUrl: stub.baseUrl });
    const listed = () => stub!.requests.filter((r) => r.path === '/v1/models').length;
    const before = listed();
    await engines.client(engine.id).models();
    await engines.client(engine.id).models();
    expect(listed() - before).toBe(1);
    await engines.models(engine.id);
    expect(listed() - before).toBe(2);
  });

  it('adds an engine after listing its models, keeps the key in the secret store only, and survives a reopen', async () => {
    stub = await startVllmStub({ apiKey: KEY, maxModelLen: 1_048_576 });
    const { root, db, secrets, engines } = setUp();
    const { engine, models } = await engines.add({ name: 'Lab cluster', baseUrl: stub.baseUrl.replace('/v1', '/'), apiKey: KEY });
    expect(models).toEqual([{ id: stub.options.model, maxModelLen: 1_048_576, ownedBy: 'vllm', promptStyle: null }]);
    expect(engine).toMatchObject({ name: 'Lab cluster', baseUrl: stub.baseUrl, host: `127.0.0.1:${stub.port}`, hasKey: true, insecure: false, protection: 'user-only-file' });
    expect(JSON.stringify(engine)).not.toContain(KEY);
    expect(secrets.get(engineKeySecret(engine.id))).toBe(KEY);
    // The database never holds the key.
    db.close();
    expect(readFileSync(join(root, 'quire.db')).includes(KEY)).toBe(false);
    const reopened = new EngineStore(openDatabase(join(root, 'quire.db')), new SecretStore(root));
    expect(reopened.list().map((e) => e.name)).toEqual(['Lab cluster']);
    expect(await reopened.models(engine.id)).toHaveLength(1);
    expect(stub.requests.at(-1)!.authorization).toBe(`Bearer ${KEY}`);
  });

  it('stores nothing when the server refuses the key, cannot be reached, or the URL is plain http elsewhere', async () => {
    stub = await startVllmStub({ apiKey: KEY });
    const { root, engines } = setUp();
    await expect(engines.add({ name: 'Wrong key', baseUrl: stub.baseUrl, apiKey: 'nope' })).rejects.toMatchObject({ code: 'REMOTE_UNAUTHORIZED' });
    await expect(engines.add({ name: 'Down', baseUrl: 'http://127.0.0.1:9/v1', apiKey: KEY })).rejects.toMatchObject({ code: 'REMOTE_UNREACHABLE' });
    await expect(engines.add({ name: 'Cleartext', baseUrl: 'http://203.0.113.7:8000/v1', apiKey: KEY })).rejects.toMatchObject({ code: 'REMOTE_INSECURE' });
    expect(engines.list()).toEqual([]);
    expect(() => readFileSync(join(root, 'secrets.json'), 'utf8')).toThrow();
  });

  it('renames, replaces the key only once the server accepts it, and removes the engine with its key', async () => {
    stub = await startVllmStub({ apiKey: KEY });
    const { secrets, engines } = setUp();
    const { engine } = await engines.add({ name: 'A', baseUrl: stub.baseUrl, apiKey: KEY });
    await engines.add({ name: 'B', baseUrl: stub.baseUrl, apiKey: KEY });
    await expect(engines.update(engine.id, { name: 'B' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await engines.update(engine.id, { name: 'Renamed' })).name).toBe('Renamed');
    await expect(engines.update(engine.id, { apiKey: 'rotated-wrong' })).rejects.toMatchObject({ code: 'REMOTE_UNAUTHORIZED' });
    expect(secrets.get(engineKeySecret(engine.id))).toBe(KEY);
    stub.options.apiKey = 'rotated-right';
    expect((await engines.update(engine.id, { apiKey: 'rotated-right' })).hasKey).toBe(true);
    expect(secrets.get(engineKeySecret(engine.id))).toBe('rotated-right');
    expect(engines.remove(engine.id)).toBe(true);
    expect(secrets.has(engineKeySecret(engine.id))).toBe(false);
    expect(() => engines.client(engine.id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(engines.remove(engine.id)).toBe(false);
  });

  it('the contract refuses other schemes, huge URLs and keys that could split a header', () => {
    const add = calls['engines.add'].input;
    expect(add.safeParse({ name: 'x', baseUrl: 'https://gpu.example.org/v1', apiKey: 'sk-1' }).success).toBe(true);
    expect(add.safeParse({ name: 'x', baseUrl: 'file:///etc/passwd' }).success).toBe(false);
    expect(add.safeParse({ name: 'x', baseUrl: `https://a.example/${'x'.repeat(3000)}` }).success).toBe(false);
    expect(add.safeParse({ name: 'x', baseUrl: 'https://a.example', apiKey: 'sk\r\nX-Evil: 1' }).success).toBe(false);
    expect(add.safeParse({ name: '', baseUrl: 'https://a.example' }).success).toBe(false);
    expect(add.safeParse({ name: 'x', baseUrl: 'https://a.example', extra: 1 }).success).toBe(false);
  });
});
