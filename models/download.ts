import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { QuireError } from '../electron/common/errors.ts';
import { networkWords } from '../electron/common/network-words.ts';

// Downloads a model repository from the Hugging Face hub (or a mirror with the same URL layout:
// HF_ENDPOINT). Files land as `<file>.part`, resume with HTTP Range after a cancel or a dropped
// connection, and are renamed into place only after their checksum matches: sha256 for LFS files,
// the git blob sha1 for small files.

export interface HubFile {
  path: string;
  size: number;
  // sha256 of the content (LFS files).
  sha256: string | null;
  // git blob sha1 (every file the hub lists with blobs=true).
  blobId: string | null;
}

export interface DownloadProgress {
  file: string;
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface HubOptions {
  endpoint?: string;
  revision?: string;
  token?: string;
  signal?: AbortSignal;
}

export interface DownloadOptions extends HubOptions {
  // Globs over repository paths where `*` matches within one path segment; all files when absent.
  include?: string[];
  onProgress?: (progress: DownloadProgress) => void;
  // Extra attempts per file after a dropped connection; each resumes where the last stopped.
  retries?: number;
}

const PROGRESS_INTERVAL_MS = 200;

// The transfer broke off part way; worth another attempt from where it stopped.
class ConnectionLost extends QuireError {
  constructor(message: string) {
    super('DOWNLOAD_FAILED', message);
  }
}

function endpointOf(options: HubOptions): string {
  return (options.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
}

function headersOf(options: HubOptions, extra: Record<string, string> = {}): Record<string, string> {
  const token = options.token ?? process.env.HF_TOKEN;
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

function checkRepo(repo: string): void {
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new QuireError('INVALID_INPUT', `not a Hugging Face repository id: ${repo}`);
}

// Paths come from the server: refuse anything that could escape the target folder.
function checkPath(path: string): void {
  const segments = path.split('/');
  if (path.includes('\\') || path.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new QuireError('DOWNLOAD_FAILED', `hub listed an unsafe file path: ${JSON.stringify(path)}`);
  }
}

function globToRegExp(glob: string): RegExp {
  const body = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*');
  return new RegExp(`^${body}$`);
}

async function request(url: string, options: HubOptions, headers: Record<string, string> = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { headers: headersOf(options, headers), signal: options.signal, redirect: 'follow' });
  } catch (error) {
    throw options.signal?.aborted ? cancelled() : new QuireError('DOWNLOAD_FAILED', `cannot reach ${new URL(url).host}: ${networkWords(error)}`);
  }
  if (response.ok || response.status === 416) return response;
  await response.body?.cancel();
  if (response.status === 401 || response.status === 403) {
    throw new QuireError('FORBIDDEN', `the hub refused access (HTTP ${response.status}): accept the model's licence on Hugging Face and save an access token (Models → Hugging Face access token)`);
  }
  if (response.status === 404) throw new QuireError('NOT_FOUND', `not on the hub: ${new URL(url).pathname}`);
  throw new QuireError('DOWNLOAD_FAILED', `HTTP ${response.status} from ${new URL(url).host}`);
}

function cancelled(): QuireError {
  return new QuireError('CANCELLED', 'download cancelled');
}


export async function listRepoFiles(repo: string, options: HubOptions = {}): Promise<HubFile[]> {
  checkRepo(repo);
  const revision = encodeURIComponent(options.revision ?? 'main');
  const url = `${endpointOf(options)}/api/models/${repo}/revision/${revision}?blobs=true`;
  const response = await request(url, options);
  let info: { siblings?: { rfilename?: unknown; size?: unknown; blobId?: unknown; lfs?: { sha256?: unknown } }[] };
  try {
    info = (await response.json()) as typeof info;
  } catch {
    throw new QuireError('DOWNLOAD_FAILED', `the hub sent an unreadable file list for ${repo}`);
  }
  if (!Array.isArray(info.siblings)) throw new QuireError('DOWNLOAD_FAILED', `the hub sent no file list for ${repo}`);
  return info.siblings.map((s) => {
    if (typeof s.rfilename !== 'string' || typeof s.size !== 'number') {
      throw new QuireError('DOWNLOAD_FAILED', `the hub listed a file of ${repo} without name or size`);
    }
    checkPath(s.rfilename);
    return {
      path: s.rfilename,
      size: s.size,
      sha256: typeof s.lfs?.sha256 === 'string' ? s.lfs.sha256 : null,
      blobId: typeof s.blobId === 'string' ? s.blobId : null,
    };
  });
}

// Downloads the repository's files (filtered by `include`) into `dir`; returns the files fetched.
// Files already in place with the listed size were verified before they were renamed there.
export async function downloadRepo(repo: string, dir: string, options: DownloadOptions = {}): Promise<HubFile[]> {
  const patterns = options.include?.map(globToRegExp);
  const files = (await listRepoFiles(repo, options)).filter((f) => !patterns || patterns.some((p) => p.test(f.path)));
  if (files.length === 0) throw new QuireError('NOT_FOUND', `no matching files in ${repo}`);
  const meter = new ProgressMeter(files.reduce((n, f) => n + f.size, 0), options.onProgress);
  for (const file of files) {
    const target = join(dir, ...file.path.split('/'));
    if ((await sizeOf(target)) !== file.size) {
      await mkdir(dirname(target), { recursive: true });
      await downloadFile(repo, file, target, options, meter);
    }
    meter.finish(file.path, file.size);
  }
  meter.report('', true);
  return files;
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

async function downloadFile(repo: string, file: HubFile, target: string, options: DownloadOptions, meter: ProgressMeter): Promise<void> {
  const part = `${target}.part`;
  const revision = encodeURIComponent(options.revision ?? 'main');
  const url = `${endpointOf(options)}/${repo}/resolve/${revision}/${file.path.split('/').map(encodeURIComponent).join('/')}`;
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    const have = Math.min((await sizeOf(part)) ?? 0, file.size);
    meter.start(file.path, have);
    try {
      await transfer(url, part, have, file, options, meter);
      break;
    } catch (error) {
      if (options.signal?.aborted) throw cancelled();
      if (!(error instanceof ConnectionLost) || attempt >= retries) throw error;
    }
  }
  try {
    await verify(part, file);
  } catch (error) {
    await rm(part, { force: true });
    throw error;
  }
  await rename(part, target);
}

async function transfer(url: string, part: string, have: number, file: HubFile, options: DownloadOptions, meter: ProgressMeter): Promise<void> {
  if (have === file.size && file.size > 0) return;
  const response = await request(url, options, have > 0 ? { range: `bytes=${have}-` } : {});
  if (response.status === 416) {
    await response.body?.cancel();
    throw new QuireError('DOWNLOAD_FAILED', `the hub refused to resume ${file.path}`);
  }
  // A server that ignores Range sends the whole file again: start over.
  const resumed = response.status === 206;
  if (!resumed) meter.start(file.path, 0);
  const handle = await open(part, resumed ? 'a' : 'w');
  let written = resumed ? have : 0;
  try {
    if (!response.body) throw new QuireError('DOWNLOAD_FAILED', `empty response for ${file.path}`);
    const reader = response.body.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      const chunk = next.value;
      if (written + chunk.length > file.size) throw new QuireError('CHECKSUM_MISMATCH', `${file.path} is larger than the hub listed`);
      await handle.write(chunk);
      written += chunk.length;
      meter.add(file.path, chunk.length);
    }
  } catch (error) {
    if (options.signal?.aborted) throw cancelled();
    if (error instanceof QuireError) throw error;
    throw new ConnectionLost(`connection lost while downloading ${file.path}: ${networkWords(error)}`);
  } finally {
    await handle.close();
  }
  if (written !== file.size) {
    throw new ConnectionLost(`connection closed after ${written} of ${file.size} bytes of ${file.path}`);
  }
}

async function verify(path: string, file: HubFile): Promise<void> {
  let hash: Hash;
  let expected: string;
  if (file.sha256) {
    hash = createHash('sha256');
    expected = file.sha256;
  } else if (file.blobId) {
    hash = createHash('sha1').update(`blob ${file.size}\0`);
    expected = file.blobId;
  } else {
    return;
  }
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  if (hash.digest('hex') !== expected.toLowerCase()) {
    throw new QuireError('CHECKSUM_MISMATCH', `${file.path} does not match the hub's checksum; the damaged copy was removed`);
  }
}

class ProgressMeter {
  #total: number;
  #completed = 0;
  #current = 0;
  #onProgress: ((progress: DownloadProgress) => void) | undefined;
  #startedAt = performance.now();
  #transferred = 0;
  #lastReport = 0;

  constructor(total: number, onProgress: ((progress: DownloadProgress) => void) | undefined) {
    this.#total = total;
    this.#onProgress = onProgress;
  }

  // (Re)starts the current file with `have` bytes already on disk.
  start(file: string, have: number): void {
    this.#current = have;
    this.report(file, false);
  }

  add(file: string, bytes: number): void {
    this.#current += bytes;
    this.#transferred += bytes;
    this.report(file, false);
  }

  finish(file: string, size: number): void {
    this.#completed += size;
    this.#current = 0;
    this.report(file, false);
  }

  report(file: string, final: boolean): void {
    if (!this.#onProgress) return;
    const now = performance.now();
    if (!final && now - this.#lastReport < PROGRESS_INTERVAL_MS) return;
    this.#lastReport = now;
    // The rate counts only bytes moved in this session, not those resumed from disk.
    const seconds = (now - this.#startedAt) / 1000;
    const rate = seconds > 0 ? this.#transferred / seconds : 0;
    const done = this.#completed + this.#current;
    const left = this.#total - done;
    this.#onProgress({
      file,
      bytesDone: done,
      bytesTotal: this.#total,
      bytesPerSecond: rate,
      etaSeconds: left === 0 ? 0 : rate > 0 ? left / rate : null,
    });
  }
}
