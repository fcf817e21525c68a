import type { InstalledModel, KvDtype as KvDtypeSchema } from '../common/contract.ts';
import type { z } from 'zod';
import { loadTokenizer, type Tokenizer } from '../../models/tokenizer/tokenizer.ts';
import type { DocumentStore } from './documents/store.ts';
import { DEFAULT_PREFILL_CHUNK } from './engine/engine-session.ts';
import { planAll, type FitReport } from './engine/memory-planner.ts';
import { openModelFolder, type ModelFolder } from './engine/model-folder.ts';

type KvDtype = z.infer<typeof KvDtypeSchema>;
// The precisions a user can pick for the KV cache (fp32 is only for exactness tests).
export const USER_KV_DTYPES: KvDtype[] = ['fp16', 'int8', 'int4'];
// Room left after a document for the question and the answer.
export const ANSWER_ROOM_TOKENS = 2048;

// Token counts under the chosen model's own tokenizer (cached per document and model in the database), and
// whether each document fits the machine's memory at each KV precision — shown before anything is loaded.
export class ModelFit {
  #documents: DocumentStore;
  #cache: { dir: string; tokenizer: Promise<Tokenizer>; folder: ModelFolder } | null = null;

  constructor(documents: DocumentStore) {
    this.#documents = documents;
  }

  #model(model: InstalledModel) {
    if (this.#cache?.dir !== model.dir) this.#cache = { dir: model.dir, tokenizer: loadTokenizer(model.dir), folder: openModelFolder(model.dir) };
    return this.#cache;
  }

  async tokenCount(documentId: string, model: InstalledModel): Promise<number | null> {
    const known = this.#documents.getTokenCount(documentId, model.id);
    if (known !== undefined) return known;
    const doc = this.#documents.get(documentId);
    if (!doc) return null;
    const count = (await this.#model(model).tokenizer).encode(doc.text, { parseSpecial: false }).length;
    this.#documents.setTokenCount(documentId, model.id, count);
    return count;
  }

  plan(tokens: number, model: InstalledModel, availableBytes: number): FitReport[] {
    const options = { context: tokens + ANSWER_ROOM_TOKENS, availableBytes, prefillChunk: DEFAULT_PREFILL_CHUNK };
    return planAll(this.#model(model).folder.dims, options, USER_KV_DTYPES);
  }
}
