// The fit check, before anything is loaded: whether the chosen documents and the answer's room fit the model's
// real context, and whether that context's cache fits the memory of the device where it will live. Built from
// quire.json (the spec), the model's tokenizer and template only: no session is created, so checking cannot
// itself run out of memory. Every piece of advice is an action the user can take at once.
import { formatBytes, formatTokens } from '../../common/format.ts';
import type { DocumentFit, FitAdvice, FitPlan, InstalledModel, PlanningMemory, Settings } from '../../common/contract.ts';
import { answerRoom, CONTEXT_CHOICES, engineContext, KV_STORAGE, USER_KV_DTYPES, type KvDtype } from '../../../models/model-spec.ts';
import { isDiskFull } from '../../common/errors.ts';
import type { DocumentPrompts } from './prompt-ids.ts';
import type { PromptDocument, PromptSource } from './prompt.ts';
import { DEFAULT_PREFILL_CHUNK, plannedCacheCopy } from '../engine/engine-session.ts';
import { planFit, type FitReport, type ModelDims } from '../engine/memory-planner.ts';
import { openModelFolder } from '../engine/model-folder.ts';
import { conversionTarget, planningMemory } from '../engine/device-memory.ts';
import { readGpusFor } from '../engine/provider-choice.ts';

// Shorter answers than this are not worth advising: the question would get a clipped sentence.
const MIN_ADVISED_ANSWER = 64;

export interface FitRequest {
  model: InstalledModel;
  settings: Pick<Settings, 'contextTokens' | 'answerTokens' | 'provider'>;
  documentTokens: number;
}

// The stored documents as the fit reads them: whether one exists, its text (to encode it once), its stored counts.
export interface CountedDocuments {
  summary(id: string): unknown;
  get(id: string): PromptDocument | undefined;
  getTokenCount(id: string, key: string): number | undefined;
  setTokenCount(id: string, key: string, count: number): void;
}

export class ModelFit {
  #documents: CountedDocuments;
  #prompts: DocumentPrompts;
  #memory: (provider: Settings['provider']) => PlanningMemory;
  #dims = new Map<string, ModelDims>();
  // Counts the database could not store (full disk), so a book is not tokenized again at every listing.
  #unsaved = new Map<string, number>();

  constructor(documents: CountedDocuments, prompts: DocumentPrompts, memory: (provider: Settings['provider']) => PlanningMemory = planningMemory) {
    this.#documents = documents;
    this.#prompts = prompts;
    this.#memory = memory;
  }

  // Readies what a count under `model` needs while a document is still being parsed (prompt-ids.ts warm).
  warm(model: InstalledModel): void {
    // A damaged tokenizer is reported by the count itself.
    this.#prompts.warm(model).catch(() => undefined);
  }

  // Token counts under the model's own tokenizer, cached per document and model in the database. `document`: its
  // text where the caller has it in hand (just imported), instead of reading it back from the database.
  async tokenCount(documentId: string, model: InstalledModel, document?: PromptSource): Promise<number | null> {
    const known = this.#documents.getTokenCount(documentId, countKey(model));
    if (known !== undefined) return known;
    const key = `${model.id}\0${documentId}`;
    const unsaved = this.#unsaved.get(key);
    if (unsaved !== undefined) {
      // A document deleted since: its count goes with it.
      if (!this.#documents.summary(documentId)) return (this.#unsaved.delete(key), null);
      this.#store(documentId, model, key, unsaved);
      return unsaved;
    }
    if (!this.#documents.summary(documentId)) return null;
    // Its stored prompt ids, encoded now if they are not yet: the count, the fit and its questions share them.
    const count = await this.#prompts.count(model, { id: documentId, load: () => document ?? this.#documents.get(documentId)! });
    this.#store(documentId, model, key, count);
    return count;
  }

  // The count is a cache: a full disk must not fail the library's listing or a question. It is kept in memory
  // and stored at a later call once there is room again.
  #store(documentId: string, model: InstalledModel, key: string, count: number): void {
    try {
      this.#documents.setTokenCount(documentId, countKey(model), count);
      this.#unsaved.delete(key);
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      this.#unsaved.set(key, count);
    }
  }

  #dimsOf(model: InstalledModel): ModelDims {
    let dims = this.#dims.get(model.dir);
    if (!dims) this.#dims.set(model.dir, (dims = openModelFolder(model.dir).dims));
    return dims;
  }

  // The plan once what it reads of the GPUs is read off the event loop (provider-choice.ts readGpusFor): what a
  // caller on the app's event loop asks for.
  async fit(request: FitRequest): Promise<FitPlan> {
    await readGpusFor(request.settings.provider);
    return this.plan(request);
  }

  // `memory`: a reading already taken for this provider (the library plans every document against one).
  plan({ model, settings, documentTokens }: FitRequest, memory: PlanningMemory = this.#memory(settings.provider)): FitPlan {
    const dims = this.#dimsOf(model);
    const context = engineContext(model, settings);
    const room = answerRoom(context, settings.answerTokens);
    const holds = (c: number) => documentTokens + answerRoom(c, settings.answerTokens) <= c;
    const { provider } = conversionTarget(settings.provider);
    const onHost = provider === 'cpu';
    const cacheCopied = plannedCacheCopy(provider);
    const inMemory = (kv: KvDtype, c: number) => planFit(dims, kv, { availableBytes: memory.availableBytes, context: c, prefillChunk: DEFAULT_PREFILL_CHUNK, onHost, cacheCopied });
    const own = inMemory(model.kvDtype, context);
    const fitsContext = holds(context);

    // Contexts this model can be loaded with: the offered sizes up to its own, its own, and the least that holds
    // these documents (rounded up to a whole K), ascending.
    const least = Math.ceil((documentTokens + 1) / 1024) * 1024;
    const contexts = [...new Set([...CONTEXT_CHOICES, least, model.contextTokens])].filter((c) => c <= model.contextTokens).sort((a, b) => a - b);
    const advice: FitAdvice[] = [];
    const largerContext = contexts.find((c) => c > context && holds(c) && inMemory(model.kvDtype, c).fits);
    const smallerContext = contexts.find((c) => c < context && holds(c) && inMemory(model.kvDtype, c).fits);
    if (!fitsContext) {
      if (largerContext) advice.push({ kind: 'context', contextTokens: largerContext, label: `Use a ${formatTokens(largerContext)} context` });
      const answer = Math.floor((context - documentTokens) / 16) * 16;
      if (answer >= MIN_ADVISED_ANSWER) advice.push({ kind: 'answer', answerTokens: answer, label: `Lower the longest answer to ${answer} tokens` });
    } else if (!own.fits && smallerContext) {
      advice.push({ kind: 'context', contextTokens: smallerContext, label: `Use a ${formatTokens(smallerContext)} context (it fits the memory)` });
    }
    // Another cache dtype means converting the model again; offered when it would make the context fit memory.
    const target = fitsContext ? context : (largerContext ?? contexts.find((c) => holds(c)));
    const choices = [model.kvDtype, ...USER_KV_DTYPES.filter((kv) => kv !== model.kvDtype)].map((kv) => {
      const report = inMemory(kv, target ?? context);
      const installed = kv === model.kvDtype;
      return { kvDtype: kv, installed, fits: report.fits, reason: installed ? report.reason : `converted again with a ${kv} cache: ${report.reason}`, maxTokens: report.maxContext };
    });
    if (target !== undefined && !inMemory(model.kvDtype, target).fits) {
      const smaller = choices.find((c) => !c.installed && c.fits && KV_STORAGE[c.kvDtype].bits < KV_STORAGE[model.kvDtype].bits);
      if (smaller) advice.push({ kind: 'convert', kvDtype: smaller.kvDtype, label: `Convert ${model.name} again with an ${smaller.kvDtype.toUpperCase()} cache` });
    }
    if (target === undefined || (advice.length === 0 && !(fitsContext && own.fits))) {
      advice.push({ kind: 'documents', label: `Choose fewer or shorter documents: ${model.name} holds at most ${formatTokens(model.contextTokens)} tokens here` });
    }
    const fitsMemory = own.fits;
    return {
      modelId: model.id,
      documentTokens,
      answerRoom: room,
      context,
      modelContext: model.contextTokens,
      fitsContext,
      memory,
      fitsMemory,
      fits: fitsContext && fitsMemory,
      reason: summary(documentTokens, room, context, memory, own, fitsContext),
      choices,
      advice,
    };
  }

  // The library's column: each raw document (no prompt around it) against the model in use, with its count;
  // the device's memory is read once for the whole list.
  async documentFits(documentIds: readonly string[], model: InstalledModel, settings: FitRequest['settings']): Promise<Map<string, { tokens: number | null; fit: DocumentFit | null }>> {
    await readGpusFor(settings.provider);
    const memory = this.#memory(settings.provider);
    const out = new Map<string, { tokens: number | null; fit: DocumentFit | null }>();
    for (const id of documentIds) {
      const tokens = await this.tokenCount(id, model);
      const plan = tokens === null ? null : this.plan({ model, settings, documentTokens: tokens }, memory);
      out.set(id, { tokens, fit: plan && { modelId: model.id, modelName: model.name, context: plan.context, fits: plan.fits, reason: plan.reason } });
    }
    return out;
  }
}

// Counts are of the document in the model's prompt; counts stored under the bare model id were of the text
// alone (before they were one number everywhere) and are left unread.
const countKey = (model: InstalledModel) => `${model.id}:prompt`;

function summary(documentTokens: number, room: number, context: number, memory: PlanningMemory, own: FitReport, fitsContext: boolean): string {
  if (!fitsContext) {
    return `${documentTokens.toLocaleString('en-US')} tokens and ${room.toLocaleString('en-US')} for the answer need more than the ${formatTokens(context)} context`;
  }
  if (!own.fits) return `the ${formatTokens(context)} context does not fit ${memory.device}: ${own.reason}`;
  return `fits the ${formatTokens(context)} context; its ${own.kvDtype} cache needs ${formatBytes(own.bytes.total)} of ${formatBytes(own.budget)} usable in ${memory.device}`;
}
