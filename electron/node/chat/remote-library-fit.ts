// The Library's token count and fit where no model is installed here but a remote engine answers: each document
// counted by the server as a conversation there lays it out, so the column says what the remote model would read
// instead of "—". The model is the one the user asked on last (the newest conversation whose engine is still
// added), else the first model of the first engine that lists one. A listing never waits on a server: documents
// are counted in the background, one at a time, and the Library hears when a count is in.
import type { ConversationSummary, DocumentFit, FitPlan, RemoteChoice } from '../../common/contract.ts';
import type { EngineStore } from '../remote/engines.ts';
import type { ChatService } from './chat-service.ts';

export interface RemoteLibraryFitDeps {
  engines: Pick<EngineStore, 'list' | 'client' | 'statedContext'>;
  conversations: { list(): ConversationSummary[] };
  chat: Pick<ChatService, 'fit'>;
  // The longest answer the fit leaves room for (Settings).
  answerTokens(): number;
  // A count came in: the Library lists again.
  onCounted(): void;
}

export type LibraryFits = Map<string, { tokens: number; fit: DocumentFit | null }>;

export function remoteLibraryFit(deps: RemoteLibraryFitDeps): (documentIds: readonly string[]) => Promise<LibraryFits> {
  // Plans made, by what they depend on; only the current model's are kept.
  const plans = new Map<string, FitPlan>();
  const counting = new Set<string>();
  let modelKey = '';
  let queue = Promise.resolve();
  return async (documentIds) => {
    const choice = await chosenModel(deps).catch(() => null);
    const out: LibraryFits = new Map();
    if (!choice) return out;
    const prefix = JSON.stringify([choice.engineId, choice.model, deps.answerTokens(), deps.engines.statedContext(choice.engineId, choice.model)]);
    if (prefix !== modelKey) {
      plans.clear();
      modelKey = prefix;
    }
    for (const id of documentIds) {
      const key = `${prefix}${id}`;
      const plan = plans.get(key);
      if (plan) {
        out.set(id, { tokens: plan.documentTokens, fit: documentFit(plan) });
        continue;
      }
      if (counting.has(key)) continue;
      counting.add(key);
      // A server that cannot count now is asked again at the next listing, not in a loop: only a count in
      // triggers one.
      queue = queue
        .then(() => deps.chat.fit([id], choice))
        .then((made) => {
          if (modelKey !== prefix) return;
          plans.set(key, made);
          deps.onCounted();
        })
        .catch(() => undefined)
        .finally(() => counting.delete(key));
    }
    return out;
  };
}

async function chosenModel(deps: RemoteLibraryFitDeps): Promise<RemoteChoice | null> {
  const engines = deps.engines.list();
  if (engines.length === 0) return null;
  const added = new Set(engines.map((e) => e.id));
  const last = deps.conversations.list().find((c) => c.engine && added.has(c.engine.engineId))?.engine;
  if (last) return { engineId: last.engineId, model: last.model };
  for (const engine of engines) {
    const models = await deps.engines.client(engine.id).models().catch(() => []);
    if (models.length > 0) return { engineId: engine.id, model: models[0].id };
  }
  return null;
}

// A server that reports no context (and none was stated) gives a count but no fit.
function documentFit(plan: FitPlan): DocumentFit | null {
  if (plan.modelContext === 0 || !plan.server) return null;
  return { modelId: plan.modelId, modelName: `${plan.server.model} on ${plan.server.host}`, context: plan.context, fits: plan.fits, reason: plan.reason };
}
