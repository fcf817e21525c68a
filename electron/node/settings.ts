import { API_MAX_ANSWER_TOKENS, Settings, type AnswerSettings, type ConversationStyle, type InstalledModel } from '../common/contract.ts';
import { styleOver } from '../common/answer-style.ts';
import { migrate, type Db } from './db.ts';
import { SNAPSHOT_BUDGET_BYTES } from './runtime/prefix-store.ts';

export const DEFAULT_SETTINGS: Settings = {
  theme: 'system',
  modelId: null,
  provider: 'auto',
  contextTokens: 131_072,
  kvDtype: 'fp16',
  answerTokens: 1024,
  answerStyle: { instructions: '', temperature: null, topP: null, seed: null },
  // Off until the user turns it on; the port is one other tools can be set up with once.
  apiServer: { enabled: false, port: 8400, maxTokens: API_MAX_ANSWER_TOKENS },
  savedCacheBytes: SNAPSHOT_BUDGET_BYTES,
};

// Settings live as one JSON row: they are read whole and written whole, and a value that no longer parses
// (an older version's enum) falls back to its default instead of breaking start-up.
export class SettingsStore {
  #db: Db;

  constructor(db: Db) {
    this.#db = db;
    migrate(db, 'settings', ['CREATE TABLE settings (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)']);
  }

  get(): Settings {
    const row = this.#db.prepare('SELECT json FROM settings WHERE id = 1').get() as { json: string } | undefined;
    const stored: Record<string, unknown> = row ? safeJson(row.json) : {};
    const merged: Record<string, unknown> = { ...DEFAULT_SETTINGS };
    for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
      const field = Settings.shape[key].safeParse(stored[key]);
      if (field.success) merged[key] = field.data;
    }
    return Settings.parse(merged);
  }

  update(patch: Partial<Settings>): Settings {
    const next = Settings.parse({ ...this.get(), ...patch });
    this.#db
      .prepare('INSERT INTO settings (id, json) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json')
      .run(JSON.stringify(next));
    return next;
  }
}

function safeJson(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

// What one answer is asked with: the conversation's own choices over the app's, over the model's defaults
// (generation_config). The runtime's answer() takes the instructions into the system prompt and the rest as
// the engine's sampling; exports state the same values.
export interface AnswerSampling {
  instructions: string;
  maxTokens: number;
  greedy: boolean;
  temperature: number;
  topP: number;
  seed: number | undefined;
}

export function samplingFor(
  settings: Pick<Settings, 'answerTokens' | 'answerStyle'>,
  model: Pick<InstalledModel, 'generation'>,
  conversation: { style?: ConversationStyle | null } = {},
): AnswerSampling {
  const style = styleOver(settings, conversation.style);
  const temperature = style.temperature ?? model.generation.temperature;
  return {
    instructions: style.instructions.trim(),
    maxTokens: style.answerTokens,
    // A temperature of 0 is greedy; without a temperature of its own an answer samples as the model's defaults say.
    greedy: style.temperature === null ? model.generation.greedy : temperature === 0,
    temperature,
    topP: style.topP ?? model.generation.topP,
    seed: style.seed ?? undefined,
  };
}

// The sampling as an answer's stats and the exports record it.
export function recordedSettings({ instructions, greedy, temperature, topP, seed, maxTokens }: AnswerSampling): AnswerSettings {
  return { instructions, greedy, temperature, topP, seed: seed ?? null, maxTokens };
}
