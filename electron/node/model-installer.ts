import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { InstalledModel, InstallProgress, InstallRequest } from '../common/contract.ts';
import { QuireError } from '../common/errors.ts';
import { isModelId, modelIdForFolder, modelIdForRepo } from '../common/model-id.ts';
import { findCatalogModel } from '../../models/catalog.ts';
import { convertCheckpoint } from '../../models/convert.ts';
import { resolveConversion, type ConversionTarget } from '../../models/model-spec.ts';
import { downloadRepo } from '../../models/download.ts';
import { recordDownloadSpeed } from './download-speed.ts';
import { modelAt } from './installed-models.ts';
import { childPath, modelsDir } from './paths.ts';

// What a repository needs for conversion when it is not in the catalog.
const DEFAULT_FILES = ['*.safetensors', '*.json'];
const REPO_ID = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/;

export function modelIdFor(request: InstallRequest): string {
  return request.catalogId ?? (request.folder ? modelIdForFolder(request.folder) : modelIdForRepo(request.repo!));
}

// What a folder on this computer holds: a converted Quire model (its quire.json), or a Hugging Face
// checkpoint (config.json and safetensors) to convert; anything else is refused in words.
function folderKind(folder: string): 'converted' | 'checkpoint' {
  if (!isAbsolute(folder)) throw new QuireError('INVALID_INPUT', `give the folder's full path, not ${JSON.stringify(folder.slice(0, 200))}`);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new QuireError('NOT_FOUND', `no folder ${folder} on this computer`);
  const names = readdirSync(folder);
  if (names.includes('quire.json')) return 'converted';
  if (names.includes('config.json') && names.some((n) => n.endsWith('.safetensors'))) return 'checkpoint';
  throw new QuireError('UNSUPPORTED_MODEL', `${folder} is neither a converted Quire model (quire.json) nor a Hugging Face checkpoint (config.json and .safetensors files)`);
}

// Downloads a checkpoint from the Hugging Face hub (resumable, checksummed) and converts it on this machine, or
// takes one from a folder on this computer (a checkpoint to convert, or a converted model to copy in).
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
    if (request.folder) return this.#installFolder(request.folder, conversion, onProgress);
    const entry = request.catalogId ? findCatalogModel(request.catalogId) : null;
    const repo = entry?.hfRepo ?? request.repo;
    if (!repo || !REPO_ID.test(repo)) throw new QuireError('INVALID_INPUT', 'give a catalog model or a Hugging Face repository like owner/name');
    const id = checkedId(modelIdFor(request));
    // The checkpoint folder's name becomes the model's display name.
    const downloads = join(this.#root, 'downloads', id);
    const download = join(downloads, entry?.name ?? basename(repo));
    const model = await this.#staged(id, async (staging, signal) => {
      // This session's rate (resumed bytes do not count), kept for the catalog's estimates.
      let rate = 0;
      await downloadRepo(repo, download, {
        signal,
        token: this.#hubToken() ?? undefined,
        include: entry?.files ?? DEFAULT_FILES,
        onProgress: (p) => {
          rate = p.bytesPerSecond;
          onProgress({ id, phase: 'download', done: p.bytesDone, total: p.bytesTotal, bytesPerSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds ?? 0, detail: p.file });
        },
      }).then(() => recordDownloadSpeed(this.#root, rate)).catch((error: unknown) => {
        if (error instanceof QuireError && error.code === 'NOT_FOUND') throw new QuireError('NOT_FOUND', `no repository ${repo} on the Hugging Face hub (or it is gated and needs a Hugging Face access token)`);
        throw error;
      });
      await this.#convert(id, download, staging, conversion, signal, onProgress);
    });
    rmSync(downloads, { recursive: true, force: true });
    return model;
  }

  // A folder on this computer: a converted model is checked (modelAt reads its manifest) and copied in; a
  // checkpoint is converted in place of a download, and the user's folder is left as it was.
  async #installFolder(folder: string, conversion: ReturnType<typeof resolveConversion>, onProgress: (p: InstallProgress) => void): Promise<InstalledModel> {
    const kind = folderKind(folder);
    const id = checkedId(modelIdForFolder(folder));
    return this.#staged(id, async (staging, signal) => {
      if (kind === 'checkpoint') return this.#convert(id, folder, staging, conversion, signal, onProgress);
      modelAt(folder);
      cpSync(folder, staging, { recursive: true });
    });
  }

  // One install of `id` at a time, built in a hidden staging folder that becomes models/<id> only when whole.
  async #staged(id: string, build: (staging: string, signal: AbortSignal) => Promise<void>): Promise<InstalledModel> {
    const target = childPath(modelsDir(this.#root), id);
    if (existsSync(join(target, 'quire.json'))) throw new QuireError('INVALID_INPUT', `${id} is already installed`);
    if (this.#running.has(id)) throw new QuireError('BUSY', `${id} is already being installed`);
    const controller = new AbortController();
    this.#running.set(id, controller);
    const staging = join(modelsDir(this.#root), `.${id}.${randomUUID().slice(0, 8)}.partial`);
    try {
      await build(staging, controller.signal);
      renameSync(staging, target);
      return modelAt(target);
    } finally {
      rmSync(staging, { recursive: true, force: true });
      this.#running.delete(id);
    }
  }

  async #convert(id: string, checkpoint: string, staging: string, conversion: ReturnType<typeof resolveConversion>, signal: AbortSignal, onProgress: (p: InstallProgress) => void): Promise<void> {
    const started = performance.now();
    await convertCheckpoint(checkpoint, staging, {
      ...conversion,
      onProgress: (p) => {
        if (signal.aborted) throw new QuireError('CANCELLED', 'installation cancelled');
        const rate = p.doneBytes / Math.max(1e-3, (performance.now() - started) / 1000);
        onProgress({ id, phase: 'convert', done: p.doneBytes, total: p.totalBytes, bytesPerSecond: rate, etaSeconds: (p.totalBytes - p.doneBytes) / Math.max(1, rate), detail: p.tensor });
      },
    });
  }

  // Downloads stopped before their conversion (Pause, a failure, the app closed): what each has on disk. Its
  // files (and a file's .part) stay in downloads/<id>, so installing it again resumes where it stopped.
  pausedDownloads(): { id: string; bytes: number }[] {
    const downloads = join(this.#root, 'downloads');
    if (!existsSync(downloads)) return [];
    return readdirSync(downloads, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && isModelId(entry.name) && !this.#running.has(entry.name))
      .map((entry) => ({ id: entry.name, bytes: folderBytes(join(downloads, entry.name)) }))
      .filter((paused) => paused.bytes > 0);
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

function folderBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
}

function checkedId(id: string): string {
  if (!isModelId(id)) throw new QuireError('INVALID_INPUT', `${JSON.stringify(id.slice(0, 64))} is not a model id (letters, digits, '.', '_' and '-')`);
  return id;
}
