import { z } from 'zod';
import { QuireError } from '../electron/common/errors.ts';
import catalogJson from './catalog.json' with { type: 'json' };

// Known models the app offers to download. A superset of the contract's CatalogEntry: the contract
// schema strips `gated`, `files` and `architecture` when the list crosses to the renderer.
export const CatalogModel = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
    name: z.string().min(1),
    hfRepo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
    licence: z.string().min(1),
    licenceUrl: z.url(),
    parameters: z.string().min(1),
    downloadBytes: z.number().int().positive(),
    nativeContext: z.number().int().positive(),
    // The checkpoint's shape (config.json), so the memory planner can say what runs on this machine before
    // anything is downloaded.
    architecture: z
      .object({
        layers: z.number().int().positive(),
        heads: z.number().int().positive(),
        kvHeads: z.number().int().positive(),
        headDim: z.number().int().positive(),
        hiddenSize: z.number().int().positive(),
        intermediateSize: z.number().int().positive(),
        vocabSize: z.number().int().positive(),
        parameterCount: z.number().int().positive(),
      })
      .strict(),
    description: z.string().min(1),
    // The hub refuses downloads until the user accepts the licence and supplies a token.
    gated: z.boolean(),
    // Glob patterns (only `*` is special) of the repository files a conversion needs.
    files: z.array(z.string().min(1)).min(1),
  })
  .strict();
export type CatalogModel = z.infer<typeof CatalogModel>;

export function parseCatalog(data: unknown): CatalogModel[] {
  const parsed = z.array(CatalogModel).safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new QuireError('INVALID_INPUT', `model catalog: ${issue.path.join('.')}: ${issue.message}`);
  }
  const ids = new Set<string>();
  for (const entry of parsed.data) {
    if (ids.has(entry.id)) throw new QuireError('INVALID_INPUT', `model catalog: duplicate id ${entry.id}`);
    ids.add(entry.id);
  }
  return parsed.data;
}

export function loadCatalog(): CatalogModel[] {
  return parseCatalog(catalogJson);
}

export function findCatalogModel(id: string): CatalogModel {
  const entry = loadCatalog().find((m) => m.id === id);
  if (!entry) throw new QuireError('NOT_FOUND', `no model "${id}" in the catalog`);
  return entry;
}
