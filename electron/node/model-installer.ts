import { randomUUID } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { InstalledModel, InstallProgress, InstallRequest } from '../common/contract.ts';
import { QuireError } from '../common/errors.ts';
import { isModelId, modelIdForRepo } from '../common/model-id.ts';
import { findCatalogModel } from '../../models/catalog.ts';
import { convertCheckpoint } from '../../models/convert.ts';
import { resolveConversion, type ConversionTarget } from '../../models/model-spec.ts';
import { downloadRepo } from '../../models/download.ts';
import { modelAt } from './installed-models.ts';
import { childPath, modelsDir } from './paths.ts';

// What a repository needs for conversion when it is not in the catalog.
const DEFAULT_FILES = ['*.safetensors', '*.json'];
const REPO_ID = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/;

export function modelIdFor(request: InstallRequest): string {
  return request.catalogId ?? modelIdForRepo(request.repo!);
}

// Downloads a checkpoint from the Hugging Face hub (resumable, checksummed) and converts it on this machine.
// The converted folder appears under models/ only when complete (a rename), so a cancelled or failed install
// never shows up as an installed model; the raw download is removed after a successful conversion.
export class ModelInstaller {
  #root: string;
  #hubToken: () => string | null;
  #running = new Map<string, AbortController>();

  // `hubToken`: the saved Hugging Face access token, read at each install (it may be saved or removed meanwhile).
  constructor(root: string, hubToken: () => string | null = () => null) {
    this.#root = root;
    this.#hubToken = hubToken;
  }

  isRunning(id: string): boolean {
    return this.#running.has(id);
  }

  cancel(id: string): boolean {
    const controller = this.#running.get(id);
    controller?.abort();
    return controller !== undefined;
  }

  async install(request: InstallRequest, onProgress: (p: InstallProgress) => void, device: ConversionTarget = {}): Promise<InstalledModel> {
    // Decided in full before a byte is downloaded: a combination this machine cannot convert or run is refused now.
    const conversion = resolveConversion(request, device);
    const entry = request.catalogId ? findCatalogModel(request.catalogId) : null;
    const repo = entry?.hfRepo ?? request.repo;
    if (!repo || !REPO_ID.test(repo)) throw new QuireError('INVALID_INPUT', 'give a catalog model or a Hugging Face repository like owner/name');
    const id = checkedId(modelIdFor(request));
    const target = childPath(modelsDir(this.#root), id);
    if (existsSync(join(target, 'quire.json'))) throw new QuireError('INVALID_INPUT', `${id} is already installed`);
    if (this.#running.has(id)) throw new QuireError('BUSY', `${id} is already being installed`);
    const controller = new AbortController();
    this.#running.set(id, controller);
    // The checkpoint folder's name becomes the model's display name.
    const downloads = join(this.#root, 'downloads', id);
    const download = join(downloads, entry?.name ?? basename(repo));
    const staging = join(modelsDir(this.#root), `.${id}.${randomUUID().slice(0, 8)}.partial`);
    try {
      await downloadRepo(repo, download, {
        signal: controller.signal,
        token: this.#hubToken() ?? undefined,
        include: entry?.files ?? DEFAULT_FILES,
        onProgress: (p) =>
          onProgress({ id, phase: 'download', done: p.bytesDone, total: p.bytesTotal, bytesPerSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds ?? 0, detail: p.file }),
      }).catch((error: unknown) => {
        if (error instanceof QuireError && error.code === 'NOT_FOUND') throw new QuireError('NOT_FOUND', `no repository ${repo} on the Hugging Face hub (or it is gated and needs a Hugging Face access token)`);
        throw error;
      });
      const started = performance.now();
      await convertCheckpoint(download, staging, {
        ...conversion,
        onProgress: (p) => {
          if (controller.signal.aborted) throw new QuireError('CANCELLED', 'installation cancelled');
          const rate = p.doneBytes / Math.max(1e-3, (performance.now() - started) / 1000);
          onProgress({ id, phase: 'convert', done: p.doneBytes, total: p.totalBytes, bytesPerSecond: rate, etaSeconds: (p.totalBytes - p.doneBytes) / Math.max(1, rate), detail: p.tensor });
        },
      });
      renameSync(staging, target);
      rmSync(downloads, { recursive: true, force: true });
      return modelAt(target);
    } finally {
      rmSync(staging, { recursive: true, force: true });
      this.#running.delete(id);
    }
  }

  remove(id: string): boolean {
    const dir = childPath(modelsDir(this.#root), checkedId(id));
    // A models/ entry that is a link to elsewhere goes as a link (rmSync removes the link itself, never
    // what it points at); existsSync follows it only to see whether it is a model.
    if (!existsSync(join(dir, 'quire.json'))) return false;
    rmSync(dir, { recursive: true, force: true });
    return true;
  }
}

function checkedId(id: string): string {
  if (!isModelId(id)) throw new QuireError('INVALID_INPUT', `${JSON.stringify(id.slice(0, 64))} is not a model id (letters, digits, '.', '_' and '-')`);
  return id;
}
