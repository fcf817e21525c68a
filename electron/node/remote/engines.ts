import { randomUUID } from 'node:crypto';
import type { RemoteEngine } from '../../common/contract.ts';
import { checkEngineUrl, needsInsecureConsent } from '../../common/engine-url.ts';
import { QuireError } from '../../common/errors.ts';
import { migrate, type Db } from '../db.ts';
import { engineKeySecret, type SecretStore } from '../secrets.ts';
import { OpenAiClient, type OpenAiClientOptions, type RemoteModel } from './openai-client.ts';

// The remote engines the user added (OpenAI-compatible servers). The table holds what may be shown; each
// API key lives in the secret store under engineKeySecret(id) and leaves this module only inside a client,
// which sends it to that engine's server alone: the renderer learns only whether there is one.

const MIGRATIONS = [
  `CREATE TABLE remote_engines (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     base_url TEXT NOT NULL,
     allow_insecure_http INTEGER NOT NULL,
     created_at TEXT NOT NULL
   )`,
  // How fast each engine's model read prompts (tokens its prefix cache did not serve, per second to the first
  // token), so the first question after a restart already has a reading estimate.
  `CREATE TABLE remote_engine_speeds (
     engine_id TEXT NOT NULL REFERENCES remote_engines(id) ON DELETE CASCADE,
     model TEXT NOT NULL,
     tokens_per_second REAL NOT NULL,
     measured_at TEXT NOT NULL,
     PRIMARY KEY (engine_id, model)
   )`,
  // The last measures, as a JSON list: the speed used is their median, so one odd request (a prompt the server
  // had cached, a server busy with another user) does not skew the next estimate.
  `ALTER TABLE remote_engine_speeds ADD COLUMN samples TEXT`,
  // The context the user said a server runs a model with, for servers that report none (transformers serve).
  `CREATE TABLE remote_engine_contexts (
     engine_id TEXT NOT NULL REFERENCES remote_engines(id) ON DELETE CASCADE,
     model TEXT NOT NULL,
     context INTEGER NOT NULL,
     PRIMARY KEY (engine_id, model)
   )`,
];
// Measures kept per engine and model.
export const SPEED_SAMPLES = 7;

interface Row {
  id: string;
  name: string;
  base_url: string;
  allow_insecure_http: number;
  created_at: string;
}

interface SpeedRow {
  tokens_per_second: number;
  samples: string | null;
}

// A row measured before samples were kept counts as its one sample.
function parseSamples(row: SpeedRow): number[] {
  try {
    const list = JSON.parse(row.samples ?? '') as unknown;
    if (Array.isArray(list) && list.every((n) => typeof n === 'number' && n > 0)) return list;
  } catch {
    // no samples yet
  }
  return [row.tokens_per_second];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface NewEngine {
  name: string;
  baseUrl: string;
  apiKey?: string;
  allowInsecureHttp?: boolean;
}

// What a client is built with besides the engine's own URL and key (tests inject fetch and short timeouts).
export type ClientSettings = Omit<OpenAiClientOptions, 'baseUrl' | 'apiKey' | 'allowInsecureHttp'>;

export class EngineStore {
  #db: Db;
  #secrets: SecretStore;
  #clientSettings: ClientSettings;
  // One client per engine for as long as the app runs (an engine's session): it reads the model list once.
  #clients = new Map<string, OpenAiClient>();

  constructor(db: Db, secrets: SecretStore, clientSettings: ClientSettings = {}) {
    this.#db = db;
    this.#secrets = secrets;
    this.#clientSettings = clientSettings;
    migrate(db, 'remote_engines', MIGRATIONS);
  }

  list(): RemoteEngine[] {
    return (this.#db.prepare('SELECT * FROM remote_engines ORDER BY created_at, name').all() as unknown as Row[]).map((row) => this.#view(row));
  }

  get(id: string): RemoteEngine {
    return this.#view(this.#row(id));
  }

  // Stored only once the server answered its model list with this URL and key: a typo, a wrong key or a
  // server that is down is reported now, with nothing kept.
  async add(engine: NewEngine): Promise<{ engine: RemoteEngine; models: RemoteModel[] }> {
    const name = engine.name.trim();
    this.#checkName(name, null);
    const allowInsecureHttp = engine.allowInsecureHttp ?? false;
    const url = checkEngineUrl(engine.baseUrl, allowInsecureHttp);
    const apiKey = engine.apiKey?.trim() || null;
    const models = await this.#clientFor(url.href, apiKey, allowInsecureHttp).models();
    const id = randomUUID();
    this.#secrets.set(engineKeySecret(id), apiKey);
    try {
      this.#db
        .prepare('INSERT INTO remote_engines (id, name, base_url, allow_insecure_http, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(id, name, url.href, allowInsecureHttp ? 1 : 0, new Date().toISOString());
    } catch (error) {
      this.#secrets.set(engineKeySecret(id), null);
      throw error;
    }
    return { engine: this.get(id), models: this.#withStated(id, models) };
  }

  // A new name, and/or a new key (checked against the server first; null removes the key).
  async update(id: string, patch: { name?: string; apiKey?: string | null }): Promise<RemoteEngine> {
    const row = this.#row(id);
    if (patch.apiKey !== undefined) {
      const apiKey = patch.apiKey?.trim() || null;
      await this.#clientFor(row.base_url, apiKey, row.allow_insecure_http === 1).models();
      this.#secrets.set(engineKeySecret(id), apiKey);
      this.#clients.delete(id);
    }
    if (patch.name !== undefined) {
      const name = patch.name.trim();
      this.#checkName(name, id);
      this.#db.prepare('UPDATE remote_engines SET name = ? WHERE id = ?').run(name, id);
    }
    return this.get(id);
  }

  remove(id: string): boolean {
    const removed = this.#db.prepare('DELETE FROM remote_engines WHERE id = ?').run(id).changes > 0;
    if (removed) this.#secrets.set(engineKeySecret(id), null);
    this.#clients.delete(id);
    return removed;
  }

  client(id: string): OpenAiClient {
    const known = this.#clients.get(id);
    if (known) return known;
    const row = this.#row(id);
    const client = this.#clientFor(row.base_url, this.#secrets.get(engineKeySecret(id)), row.allow_insecure_http === 1);
    this.#clients.set(id, client);
    return client;
  }

  // The Engines screen's check: the server asked again (its models may have changed since the session began).
  async models(id: string): Promise<RemoteModel[]> {
    return this.#withStated(id, await this.client(id).models(true));
  }

  // The context the user stated for a model the server reports none for; null forgets it. What the server
  // reports always wins: a stated context is only read where it says nothing.
  async setContext(id: string, model: string, context: number | null): Promise<RemoteModel[]> {
    this.#row(id);
    if (context === null) this.#db.prepare('DELETE FROM remote_engine_contexts WHERE engine_id = ? AND model = ?').run(id, model);
    else {
      this.#db
        .prepare('INSERT INTO remote_engine_contexts (engine_id, model, context) VALUES (?, ?, ?) ON CONFLICT(engine_id, model) DO UPDATE SET context = excluded.context')
        .run(id, model, context);
    }
    return this.models(id);
  }

  statedContext(id: string, model: string): number | null {
    const row = this.#db.prepare('SELECT context FROM remote_engine_contexts WHERE engine_id = ? AND model = ?').get(id, model) as { context: number } | undefined;
    return row?.context ?? null;
  }

  #withStated(id: string, models: RemoteModel[]): RemoteModel[] {
    return models.map((m) => {
      const stated = m.maxModelLen === null ? this.statedContext(id, m.id) : null;
      return stated === null ? m : { ...m, maxModelLen: stated, contextStated: true };
    });
  }

  // The engine's model's prompt-reading speed, the median of its last measures; 0 when never measured.
  speed(id: string, model: string): number {
    return this.#speedRow(id, model)?.tokens_per_second ?? 0;
  }

  recordSpeed(id: string, model: string, tokensPerSecond: number): void {
    if (!(tokensPerSecond > 0 && Number.isFinite(tokensPerSecond)) || !this.#exists(id)) return;
    const row = this.#speedRow(id, model);
    const samples = [...(row ? parseSamples(row) : []), tokensPerSecond].slice(-SPEED_SAMPLES);
    this.#db
      .prepare(
        'INSERT INTO remote_engine_speeds (engine_id, model, tokens_per_second, measured_at, samples) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT(engine_id, model) DO UPDATE SET tokens_per_second = excluded.tokens_per_second, measured_at = excluded.measured_at, samples = excluded.samples',
      )
      .run(id, model, median(samples), new Date().toISOString(), JSON.stringify(samples));
  }

  #speedRow(id: string, model: string): SpeedRow | undefined {
    return this.#db.prepare('SELECT tokens_per_second, samples FROM remote_engine_speeds WHERE engine_id = ? AND model = ?').get(id, model) as SpeedRow | undefined;
  }

  #clientFor(baseUrl: string, apiKey: string | null, allowInsecureHttp: boolean): OpenAiClient {
    return new OpenAiClient({ ...this.#clientSettings, baseUrl, apiKey, allowInsecureHttp });
  }

  #exists(id: string): boolean {
    return this.#db.prepare('SELECT 1 FROM remote_engines WHERE id = ?').get(id) !== undefined;
  }

  #row(id: string): Row {
    const row = this.#db.prepare('SELECT * FROM remote_engines WHERE id = ?').get(id) as unknown as Row | undefined;
    if (!row) throw new QuireError('NOT_FOUND', `no remote engine with id ${id}`);
    return row;
  }

  #checkName(name: string, except: string | null): void {
    if (!name) throw new QuireError('INVALID_INPUT', 'an engine needs a name');
    const other = this.#db.prepare('SELECT id FROM remote_engines WHERE name = ?').get(name) as { id: string } | undefined;
    if (other && other.id !== except) throw new QuireError('INVALID_INPUT', `there is already an engine named ${JSON.stringify(name)}`);
  }

  #view(row: Row): RemoteEngine {
    const url = new URL(row.base_url);
    return {
      id: row.id,
      name: row.name,
      baseUrl: row.base_url,
      host: url.host,
      hasKey: this.#secrets.has(engineKeySecret(row.id)),
      insecure: needsInsecureConsent(url),
      protection: this.#secrets.protection,
      createdAt: row.created_at,
    };
  }
}
