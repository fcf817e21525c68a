// Token counts of a prompt for a remote engine's model, for the fit check before anything is sent: the
// server's own /tokenize where it has one (vLLM), else the tokenizer files of the model's Hugging Face
// repository (a served model id is usually the repository name), fetched once into the data folder and run by
// the TextService like a local model's; where neither is possible, an estimate said to be one.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatMessage } from '../../../models/chat-template.ts';
import { downloadRepo } from '../../../models/download.ts';
import type { TextService } from '../runtime/text-service.ts';
import { childPath } from '../paths.ts';
import { HF_TOKEN_SECRET, type SecretStore } from '../secrets.ts';
import type { OpenAiClient } from './openai-client.ts';

export interface RemoteTokenDeps {
  // The data folder: tokenizers land in <root>/remote-tokenizers/<repo as org--name>/.
  root: string;
  text: TextService;
  secrets: SecretStore;
  // A hub mirror (tests); HF_ENDPOINT or huggingface.co otherwise.
  hubEndpoint?: string;
}

export interface RemoteTokenCount {
  tokens: number;
  exact: boolean;
  source: 'server' | 'hub' | 'estimate';
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json'];
// A model whose repository could not be fetched is not asked for again at every count, only after a while.
const HUB_RETRY_MS = 10 * 60_000;
// Byte-level BPE tokenizers of recent models average about four bytes of English per token; three keeps the
// estimate on the side of refusing rather than sending a prompt the server would refuse.
const ESTIMATE_BYTES_PER_TOKEN = 3;
const ESTIMATE_TOKENS_PER_MESSAGE = 8;

const hubFailures = new Map<string, number>();

export async function remoteTokens(client: OpenAiClient, model: string, messages: ChatMessage[], deps: RemoteTokenDeps, signal?: AbortSignal): Promise<RemoteTokenCount> {
  const served = await client.tokenizeChat(model, messages, signal);
  if (served) return { tokens: served.length, exact: true, source: 'server' };
  const dir = await hubTokenizer(model, deps);
  if (dir) return { tokens: (await deps.text.encode(dir, messages, true)).length, exact: true, source: 'hub' };
  const bytes = messages.reduce((n, m) => n + Buffer.byteLength(m.content, 'utf8'), 0);
  return { tokens: Math.ceil(bytes / ESTIMATE_BYTES_PER_TOKEN) + messages.length * ESTIMATE_TOKENS_PER_MESSAGE, exact: false, source: 'estimate' };
}

// The folder holding the model's tokenizer files, fetched when missing; null when the model id names no
// repository that has them (or the hub cannot be reached now).
export async function hubTokenizer(model: string, deps: RemoteTokenDeps): Promise<string | null> {
  if (!/^[\w.-]+\/[\w.-]+$/.test(model)) return null;
  const dir = childPath(join(deps.root, 'remote-tokenizers'), model.replace('/', '--'));
  if (existsSync(join(dir, 'tokenizer.json')) && existsSync(join(dir, 'tokenizer_config.json'))) return dir;
  const token = deps.secrets.get(HF_TOKEN_SECRET);
  // A new token (the user accepted a gated licence meanwhile) deserves a new attempt at once.
  const attempt = `${deps.hubEndpoint ?? ''} ${model} ${token ? createHash('sha256').update(token).digest('hex') : ''}`;
  const failedAt = hubFailures.get(attempt);
  if (failedAt !== undefined && Date.now() - failedAt < HUB_RETRY_MS) return null;
  try {
    await downloadRepo(model, dir, { include: TOKENIZER_FILES, token: token ?? undefined, endpoint: deps.hubEndpoint });
  } catch {
    // A gated repository without a token, a model id that is no repository, no network: the caller
    // falls back to an estimate and says so.
    hubFailures.set(attempt, Date.now());
    return null;
  }
  if (!existsSync(join(dir, 'tokenizer.json')) || !existsSync(join(dir, 'tokenizer_config.json'))) {
    hubFailures.set(attempt, Date.now());
    return null;
  }
  return dir;
}
