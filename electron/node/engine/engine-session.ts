// A loaded model with one sequence of cached tokens: chunked prefill with progress and cancel, decode,
// rewind, and KV snapshots. Prompt layout puts the documents first, so after an answer the cache rewinds to
// the end of the documents and a follow-up prefills only its own tokens.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { QuireError } from '../../common/errors.ts';
import type { Backend, EnginePath, SnapshotSupport } from './backend.ts';
import {
  checkSnapshot,
  makeHeader,
  readBlockSums,
  readSnapshotHeader,
  readSnapshotTokens,
  tensorsOffset,
  writeSnapshot,
} from './kv-snapshot.ts';
import { floatCacheFolder, openModelFolder, ropeInputs, type ModelFolder, type RopeInputs } from './model-folder.ts';
import type { VerifyProgress } from '../../../models/verify-model.ts';
import { ensureVerified } from '../../../models/weights-identity.ts';
import { checkKvProvider, webgpuF16Need } from '../../../models/model-spec.ts';
import { candidatesFor, type Candidate, type Provider, type ProviderChoice } from './provider-choice.ts';
import type { GpuAdapter } from './gpu-adapter.ts';
import { CANARY_TOKENS, cachedVerdict, canaryIds, defaultCheckCache, engineBuild, judge, noF16Advice, runCanary, storeVerdict, type CheckKey } from './provider-check.ts';
import { dataDir } from '../paths.ts';
import { PrefillEta, PrefillRateBook } from './prefill-eta.ts';
import { commonLength, TokenLog, type TokenIds } from './token-log.ts';
import { deviceMemory } from './device-memory.ts';
import { loadNativeAddon, nativeAddonFile } from './native-addon.ts';
import { NativeBackend } from './native-backend.ts';
import { OrtNodeBackend } from './ort-node-backend.ts';
import { Sampler, type SamplingOptions } from './sampler.ts';
import { kvProviderOptions, webgpuSetup } from './webgpu-options.ts';
import { planFit, snapshotStagingBytes, type FitReport } from './memory-planner.ts';
import { formatBytes } from '../../common/format.ts';

export const DEFAULT_PREFILL_CHUNK = 512;
// Tests only: a pause after each prefill chunk and each decoded token, so a Stop or a Cancel in a browser test
// lands while the tiny test model is still reading or answering (it finishes in moments otherwise).
const TEST_STEP_DELAY_MS = Number(process.env.QUIRE_TEST_STEP_DELAY_MS ?? 0);
const testPause = () => (TEST_STEP_DELAY_MS > 0 ? new Promise((resolve) => setTimeout(resolve, TEST_STEP_DELAY_MS)) : undefined);
// A read of at least this many chunks records its rates for the next read's estimate.
const ETA_RECORD_CHUNKS = 4;

export interface LoadOptions {
  // Told while a model whose files changed since they were last verified is verified in full, before it is used.
  onVerifyProgress?: (progress: VerifyProgress) => void;
  provider?: ProviderChoice;
  providerOptions?: Record<string, string>;
  // Positions the RoPE tables and the KV cache are sized for; defaults to the manifest's context.
  context?: number;
  path?: 'auto' | EnginePath;
  intraOpThreads?: number;
  prefillChunk?: number;
  // Memory to plan the cache against; by default the candidate device's (planning-memory.ts deviceMemory), and
  // no refusal where that cannot be known.
  availableBytes?: number;
  // Free host memory a device cache's snapshot staging buffer is checked against; by default what this process
  // may still use (process.availableMemory()) at each save or restore. Tests set it.
  hostAvailableBytes?: number;
  // Where provider-check verdicts are kept (default <data>/provider-checks.json); null keeps none.
  checkCache?: string | null;
  // 'gpu' (default) checks every provider but cpu; 'off' trusts the provider; 'always' checks cpu too, which
  // only tests of the check itself want.
  providerCheck?: 'gpu' | 'off' | 'always';
  // Tests: the candidates `auto` tries, and a model folder the check's cpu reference runs instead of the
  // model itself (a perturbed copy stands in for a provider that computes wrong logits).
  candidates?: Candidate[];
  checkReference?: string;
}

export interface EngineReport {
  path: EnginePath;
  provider: string;
  reason: string;
  context: number;
  kvDtype: string;
  kvBytesPerToken: number;
  // Whether documents' caches can be saved on this provider and path (and why not).
  snapshots: SnapshotSupport;
  plan: FitReport | null;
  // The GPU the provider runs on, where known (name, driver, memory).
  adapter: GpuAdapter | null;
  // The provider check on this load: how it passed, or null where none ran (cpu).
  check: string | null;
  // A GPU that `auto` passed over because it cannot run this model right: said to the user, not only logged.
  warning: string | null;
}

export interface PrefillProgress {
  done: number;
  total: number;
  tokensPerSecond: number;
  etaSeconds: number;
}

export interface PrefillOptions {
  chunk?: number;
  onProgress?: (p: PrefillProgress) => void;
  signal?: AbortSignal;
  // Keep logits of every position (inspect --all) instead of the last one.
  allLogits?: boolean;
  // Called after each chunk with the cache's length (a checkpoint may be saved there).
  onChunk?: (length: number) => Promise<void>;
}

export interface LoadDocumentOptions extends PrefillOptions {
  // Something the user should know although the document loaded (a damaged snapshot was discarded).
  onWarning?: (message: string) => void;
}

export interface GenerateOptions {
  maxNewTokens: number;
  sampling?: SamplingOptions;
  // Chooses each token instead of a plain sampler over `sampling` (a format's mask, log-probabilities).
  choice?: { next(logits: Float32Array, previous: Iterable<number>): number };
  stopTokens?: readonly number[];
  signal?: AbortSignal;
  // Called with each new token; return true to stop (a stop string completed).
  onToken?: (token: number) => boolean | void;
  // Asked before each further token: true ends this call with every token so far in the cache and the next
  // one's logits kept, so a later generate() continues exactly there (a request yielding its turn).
  pause?: () => boolean;
}

export type DocumentSource = 'cache' | 'snapshot' | 'prefill';

// What a warning calls the text whose cache it is about: a question's documents, or an API client's prompt.
export type CacheSubject = 'document' | 'prompt';

export interface PrepareOptions extends LoadDocumentOptions {
  subject?: CacheSubject;
  // Whether the last position's logits are needed (a generation follows); default true.
  logits?: boolean;
  // A saved prefix to restore when it shares more with the prompt than the live cache does.
  restore?: string | null;
  // With how many of the prompt's tokens the saved prefix holds, before it is read in.
  onRestoring?: (tokens: number) => void;
}

// How a prompt got into the cache: the tokens the live cache already held, the snapshot restored (or null) and
// how many of the prompt's tokens it held, one discarded as damaged, whether there was no host memory to
// restore one, and the tokens prefilled.
export interface Prepared {
  live: number;
  restored: string | null;
  fromSnapshot: number;
  discarded: string | null;
  noRoom: boolean;
  prefilled: number;
}

// Where the first `prefixLength` tokens (a document's) came from.
export function documentSource(prepared: Prepared, prefixLength: number): DocumentSource {
  if (prepared.live >= prefixLength) return 'cache';
  return prepared.restored ? 'snapshot' : 'prefill';
}

// Whether the prompt's first `length` tokens are worth saving: they had to be read (neither the live cache nor
// the snapshot held them all), and there was host memory for a snapshot.
export function needsSave(prepared: Prepared, length: number): boolean {
  return !prepared.noRoom && Math.max(prepared.live, prepared.fromSnapshot) < length;
}

// Refuses, before allocating anything, a context that does not fit the memory the candidate's cache lives in
// (RAM, or the GPU's where it is known); null where that memory cannot be known.
function checkFit(model: ModelFolder, context: number, candidate: Candidate, options: LoadOptions): FitReport | null {
  const memory = options.availableBytes !== undefined ? null : deviceMemory(candidate);
  const availableBytes = options.availableBytes ?? memory?.availableBytes;
  if (availableBytes === undefined) return null;
  const plan = planFit(model.dims, model.kv, {
    availableBytes,
    context,
    prefillChunk: options.prefillChunk ?? DEFAULT_PREFILL_CHUNK,
    onHost: candidate.provider === 'cpu',
    cacheCopied: cacheCopiedOn(candidate.provider, options.path),
  });
  if (!plan.fits) throw new QuireError('DOES_NOT_FIT', memory && candidate.provider !== 'cpu' ? `${plan.reason} (${memory.device})` : plan.reason);
  return plan;
}

// Whether openPath puts a provider's session on onnxruntime-node, whose binding copies the whole cache out of
// every step (memory-planner.ts counts the copy): asked for, or the cpu where the native addon does not load.
// `addonLoads` opens it, as the engine's process does anyway.
export function cacheCopiedOn(provider: string | undefined, path: LoadOptions['path'] = 'auto', addonLoads = () => loadNativeAddon().ok): boolean {
  return path === 'onnxruntime-node' || (path !== 'native' && provider === 'cpu' && !addonLoads());
}

// cacheCopiedOn as the app plans on its event loop, which must not open the addon (its GPU probe reads it in a
// worker): whether the addon's file is there.
export function plannedCacheCopy(provider: string | undefined): boolean {
  return cacheCopiedOn(provider, 'auto', () => nativeAddonFile().ok);
}

async function openPath(model: ModelFolder, rope: RopeInputs, provider: Provider, options: LoadOptions): Promise<{ backend: Backend; reason: string }> {
  const wantPath = options.path ?? 'auto';
  // A cache the provider cannot read (static scales on WebGPU, WebGPU's own layout elsewhere) is refused here
  // in one line, before a session exists, instead of failing inside the attention kernel mid-run.
  checkKvProvider(model.manifest, provider);
  const threads = options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {};
  if (wantPath !== 'onnxruntime-node') {
    const native = loadNativeAddon();
    if (native.ok) {
      // WebGPU needs its environment in place before the session creates the device (webgpu-options.ts).
      const webgpu = provider === 'webgpu' ? webgpuSetup(options.providerOptions) : null;
      // A WebGPU-quantized cache needs its provider option; a hand-set one is refused elsewhere.
      const providerOptions = kvProviderOptions(model, provider, webgpu?.providerOptions ?? options.providerOptions);
      const backend = new NativeBackend(native.addon, model, rope, { provider, providerOptions, ...threads });
      return { backend, reason: [`native addon on onnxruntime ${native.ortVersion}`, ...(webgpu ? [webgpu.note] : [])].join('; ') };
    }
    if (wantPath === 'native') throw new QuireError('UNSUPPORTED_MODEL', native.reason);
    if (provider !== 'cpu') throw new QuireError('UNSUPPORTED_MODEL', `${provider} needs the native addon: ${native.reason}`);
    return { backend: await OrtNodeBackend.open(model, rope, { provider: 'cpu', ...threads }), reason: `fallback: ${native.reason}` };
  }
  if (provider !== 'cpu') throw new QuireError('UNSUPPORTED_MODEL', `the onnxruntime-node path runs on cpu only, not ${provider}`);
  return { backend: await OrtNodeBackend.open(model, rope, { provider: 'cpu', ...threads }), reason: 'onnxruntime-node path requested' };
}

// fp16 activations, weights or cache compile to WGSL that needs the shader-f16 feature.

// Refuses, before any session exists, a model the adapter is known not to be able to run.
function checkFeatures(model: ModelFolder, candidate: Candidate): void {
  const m = model.manifest;
  const need = webgpuF16Need({ precision: m.precision, io: m.ioDtype, kv: m.kvDtype });
  if (candidate.provider === 'webgpu' && need && candidate.adapter?.shaderF16 === false) {
    throw new QuireError('UNSUPPORTED_MODEL', noF16Advice(candidate.adapter.name, need));
  }
}

interface Opened {
  backend: Backend;
  reason: string;
  check: string | null;
}

// Opens the candidate's session behind the provider check (provider-check.ts). The cpu reference runs first
// and is released before the provider's session opens, so the weights are never resident twice.
async function openChecked(model: ModelFolder, rope: RopeInputs, candidate: Candidate, options: LoadOptions): Promise<Opened> {
  const mode = options.providerCheck ?? 'gpu';
  if (mode === 'off' || (mode === 'gpu' && candidate.provider === 'cpu')) return { ...(await openPath(model, rope, candidate.provider, options)), check: null };
  const native = loadNativeAddon();
  // The whole canary even where the session's own context is shorter (a CLI run sized to its few ids): it is
  // what reaches the >= 32-token paths.
  const tokens = Math.min(CANARY_TOKENS, model.manifest.contextTokens);
  const ids = canaryIds(model.dims.vocabSize, tokens);
  const key: CheckKey = {
    modelHash: model.modelHash,
    provider: candidate.provider,
    adapter: candidate.adapter ?? null,
    ortVersion: native.ok ? native.ortVersion : 'onnxruntime-node',
    build: engineBuild(),
  };
  const cachePath = options.checkCache === undefined ? defaultCheckCache(dataDir()) : options.checkCache;
  const on = candidate.adapter ? ` on ${candidate.adapter.name}` : '';
  const refuse = (detail: string, when: string) =>
    new QuireError('PROVIDER_CHECK_FAILED', `${candidate.provider}${on} computes logits that differ from cpu for this model (${when}: ${detail}); its answers would be wrong, use --provider cpu`);
  const cached = cachedVerdict(cachePath, key, tokens);
  if (cached && !cached.ok) throw refuse(cached.detail, `checked ${cached.checkedAt.slice(0, 10)}`);
  let reference: Float32Array[] = [];
  if (!cached) {
    // A WebGPU-quantized graph runs on cpu with a float cache (model-folder.ts floatCacheFolder).
    const refModel = options.checkReference ? openModelFolder(options.checkReference) : floatCacheFolder(model);
    const ref = await openPath(refModel, ropeInputs(refModel, tokens), 'cpu', options);
    try {
      reference = await runCanary(ref.backend, ids);
    } finally {
      await ref.backend.release();
    }
  }
  if (cached) return { ...(await openPath(model, rope, candidate.provider, options)), check: `passed (cached from ${cached.checkedAt.slice(0, 10)})` };
  // A context shorter than the canary gets a session of the canary's size for the check, then its own.
  const own = rope.dims[0] >= tokens;
  const checked = await openPath(model, own ? rope : ropeInputs(model, tokens), candidate.provider, options);
  let verdict;
  try {
    verdict = judge(await runCanary(checked.backend, ids), reference, model, tokens);
    storeVerdict(cachePath, key, verdict);
    if (!verdict.ok) throw refuse(verdict.detail, `${tokens}-token canary`);
  } catch (error) {
    await checked.backend.release();
    throw error;
  }
  if (!own) await checked.backend.release();
  const opened = own ? checked : await openPath(model, rope, candidate.provider, options);
  return { ...opened, check: `passed on a ${tokens}-token canary (${verdict.detail})` };
}

async function openBackend(model: ModelFolder, options: LoadOptions): Promise<{ opened: Opened; plan: FitReport | null; candidate: Candidate; warning: string | null }> {
  const context = options.context ?? model.manifest.contextTokens;
  const explicit = options.provider && options.provider !== 'auto' ? options.provider : null;
  const candidates: Candidate[] = explicit ? candidatesFor(explicit) : (options.candidates ?? candidatesFor('auto'));
  let rope: RopeInputs | undefined;
  const skipped: string[] = [];
  const warnings: string[] = [];
  for (const [i, candidate] of candidates.entries()) {
    let plan: FitReport | null = null;
    try {
      // A GPU too small for this context under auto leaves the next candidate to try (and says so).
      plan = checkFit(model, context, candidate, options);
      checkKvProvider(model.manifest, candidate.provider);
      checkFeatures(model, candidate);
      rope ??= ropeInputs(model, context);
      const opened = await openChecked(model, rope, candidate, options);
      opened.reason = [`${candidate.provider}: ${candidate.why}`, ...skipped, opened.reason, ...(opened.check ? [`provider check ${opened.check.split(' (')[0]}`] : [])].join('; ');
      return { opened, plan, candidate, warning: warnings.length ? warnings.join('; ') : null };
    } catch (error) {
      if (i === candidates.length - 1) throw error;
      const message = (error as Error).message.split('\n')[0];
      skipped.push(`${candidate.provider} failed: ${message}`);
      // A GPU that runs but would answer wrongly, or cannot run this model, is news; one that is absent is not.
      const code = (error as { code?: string }).code;
      if (code === 'PROVIDER_CHECK_FAILED' || code === 'UNSUPPORTED_MODEL' || code === 'DOES_NOT_FIT') warnings.push(`${candidate.provider} not used: ${message}`);
    }
  }
  throw new QuireError('INTERNAL', 'no execution provider candidates');
}

// Host memory kept free beside a snapshot's staging buffer, for the rest of the engine's process.
const STAGING_MARGIN = 1.25;

export class EngineSession {
  readonly model: ModelFolder;
  readonly backend: Backend;
  readonly report: EngineReport;
  private readonly hostAvailable: () => number;
  // Prefill rates measured on earlier reads of this model here (prefill-eta.ts).
  private readonly rateBook = new PrefillRateBook(join(dataDir(), 'prefill-rates.json'));
  private readonly cached = new TokenLog();
  private lastLogits: Float32Array | null = null;
  // Tokens run through the model since load: how tests and benches see that a follow-up did not re-prefill.
  prefilledTokens = 0;

  private constructor(
    model: ModelFolder,
    backend: Backend,
    report: Pick<EngineReport, 'reason' | 'plan' | 'adapter' | 'check' | 'warning'>,
    hostAvailableBytes: number | undefined,
  ) {
    this.model = model;
    this.backend = backend;
    this.hostAvailable = hostAvailableBytes === undefined ? () => process.availableMemory() : () => hostAvailableBytes;
    this.report = {
      path: backend.path,
      provider: backend.provider,
      context: backend.capacity,
      kvDtype: model.layout.kvDtype,
      kvBytesPerToken: model.manifest.kvBytesPerToken,
      snapshots: backend.snapshots,
      ...report,
    };
  }

  static async load(dir: string, options: LoadOptions = {}): Promise<EngineSession> {
    // Damaged weights answer with garbage, not an error: a changed file is verified before anything runs on it.
    await ensureVerified(dir, { onProgress: options.onVerifyProgress });
    const model = openModelFolder(dir);
    const { opened, plan, candidate, warning } = await openBackend(model, options);
    return new EngineSession(model, opened.backend, { reason: opened.reason, plan, adapter: candidate.adapter ?? null, check: opened.check, warning }, options.hostAvailableBytes);
  }

  get length(): number {
    return this.cached.length;
  }

  // What the cache holds, without a copy: valid until the cache next changes.
  get tokens(): Int32Array {
    return this.cached.view();
  }

  get vocabSize(): number {
    return this.model.dims.vocabSize;
  }

  // Appends `tokens` after the cached ones in chunks; returns the logits of the last position ([V]) or, with
  // allLogits, of every new position ([tokens.length · V]). A cancel lands between chunks (or inside one on
  // the native path) and keeps every completed chunk, so prefill can resume.
  async prefill(tokens: TokenIds, options: PrefillOptions = {}): Promise<Float32Array> {
    if (tokens.length === 0) throw new QuireError('INVALID_INPUT', 'nothing to prefill');
    if (this.length + tokens.length > this.backend.capacity) {
      throw new QuireError('DOES_NOT_FIT', `${this.length + tokens.length} tokens exceed the ${this.backend.capacity}-token context`);
    }
    const chunk = Math.max(1, options.chunk ?? DEFAULT_PREFILL_CHUNK);
    const V = this.vocabSize;
    const all = options.allLogits ? new Float32Array(tokens.length * V) : null;
    const started = performance.now();
    const rateKey = `${this.model.modelHash}:${this.report.provider}:${this.report.path}`;
    const eta = new PrefillEta(this.rateBook.get(rateKey));
    const end = this.length + tokens.length;
    let logits: Float32Array = new Float32Array(0);
    for (let done = 0; done < tokens.length; ) {
      if (options.signal?.aborted) throw new QuireError('CANCELLED', `prefill cancelled after ${done} of ${tokens.length} tokens`);
      const piece = tokens.slice(done, done + chunk);
      const onAbort = () => this.backend.cancel();
      options.signal?.addEventListener('abort', onAbort);
      let result;
      const chunkStarted = performance.now();
      try {
        result = await this.backend.step(piece, this.length, all ? piece.length : 1);
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
      }
      eta.add(this.length, piece.length, (performance.now() - chunkStarted) / 1000);
      this.cached.append(piece);
      this.prefilledTokens += piece.length;
      if (all) all.set(result.logits, done * V);
      logits = result.logits.subarray(result.logits.length - V);
      done += piece.length;
      const seconds = (performance.now() - started) / 1000;
      const tokensPerSecond = done / Math.max(seconds, 1e-9);
      options.onProgress?.({ done, total: tokens.length, tokensPerSecond, etaSeconds: eta.remaining(this.length, end) });
      await options.onChunk?.(this.length);
      await testPause();
    }
    // Enough chunks to tell the two rates apart: kept as the next read's first estimate.
    const rates = eta.rates();
    if (rates && tokens.length >= ETA_RECORD_CHUNKS * chunk) this.rateBook.set(rateKey, rates);
    this.lastLogits = logits;
    return all ?? logits;
  }

  // Cuts the cache back to its first `length` tokens. GQA only reads rows below the sequence length it is
  // given, so nothing is cleared.
  rewind(length: number): void {
    if (length < 0 || length > this.length) throw new QuireError('INVALID_INPUT', `cannot rewind to ${length} of ${this.length} tokens`);
    if (length !== this.length) {
      this.cached.truncate(length);
      this.lastLogits = null;
    }
  }

  commonPrefix(tokens: ArrayLike<number>): number {
    return commonLength(tokens, this.cached.view());
  }

  // Makes the cache hold exactly `tokens`, reusing the longest cached prefix, and returns the last logits.
  async sync(tokens: TokenIds, options: PrefillOptions = {}): Promise<Float32Array> {
    let keep = this.commonPrefix(tokens);
    if (keep === tokens.length && keep === this.length && this.lastLogits) return this.lastLogits;
    // The last token's logits are needed, so at least it is run again.
    if (keep === tokens.length) keep--;
    this.rewind(keep);
    return this.prefill(tokens.slice(keep), options);
  }

  // Samples up to maxNewTokens after the cached tokens, feeding each back (except the last) through decode.
  async generate(options: GenerateOptions): Promise<number[]> {
    let logits = this.lastLogits;
    if (!logits) {
      if (this.length === 0) throw new QuireError('INVALID_INPUT', 'generate needs a prompt');
      const last = this.cached.at(this.length - 1);
      this.rewind(this.length - 1);
      logits = await this.prefill([last]);
    }
    const sampler = options.choice ?? new Sampler(options.sampling);
    const stops = new Set(options.stopTokens ?? []);
    const out: number[] = [];
    while (out.length < options.maxNewTokens) {
      if (options.signal?.aborted) throw new QuireError('CANCELLED', 'generation cancelled');
      if (out.length > 0 && options.pause?.()) break;
      const token: number = sampler.next(logits, options.sampling?.repetitionPenalty ? this.cached.view() : []);
      if (stops.has(token)) break;
      out.push(token);
      // The last token is returned but not fed: the cache holds every token but the final one.
      if (options.onToken?.(token) === true || out.length === options.maxNewTokens) {
        this.lastLogits = null;
        break;
      }
      if (this.length + 1 > this.backend.capacity) throw new QuireError('DOES_NOT_FIT', `context of ${this.backend.capacity} tokens is full`);
      logits = (await this.backend.step([token], this.length, 1)).logits;
      this.cached.append([token]);
      this.lastLogits = logits;
      await testPause();
    }
    return out;
  }

  cancel(): void {
    this.backend.cancel();
  }

  // Saves cache rows [0, length) (default: everything cached) with their tokens, atomically.
  async saveSnapshot(path: string, length = this.length): Promise<void> {
    const support = this.backend.snapshots;
    if (!support.ok) throw new QuireError('UNSUPPORTED_MODEL', `KV snapshots are not possible here: ${support.reason}`);
    if (length < 1 || length > this.length) throw new QuireError('INVALID_INPUT', `cannot snapshot ${length} of ${this.length} tokens`);
    this.checkStaging('saving');
    const tokens = this.cached.view(length);
    const header = makeHeader(this.model.layout, { modelHash: this.model.modelHash, ropeHash: this.model.ropeHash }, tokens);
    await writeSnapshot(path, header, tokens, (file, tmp, offset) => this.backend.saveKv(file, tmp, offset, length, header.blockBytes));
  }

  // Replaces the cache with a snapshot's tokens; refuses one made for other weights, tables or dtype, and one
  // that fails a checksum (CORRUPT, the cache then empty).
  async restoreSnapshot(path: string): Promise<number> {
    const support = this.backend.snapshots;
    if (!support.ok) throw new QuireError('UNSUPPORTED_MODEL', `KV snapshots are not possible here: ${support.reason}`);
    const header = await readSnapshotHeader(path);
    checkSnapshot(header, { ...this.model.layout, modelHash: this.model.modelHash, ropeHash: this.model.ropeHash });
    if (header.tokenCount > this.backend.capacity) {
      throw new QuireError('DOES_NOT_FIT', `snapshot holds ${header.tokenCount} tokens, the context is ${this.backend.capacity}`);
    }
    this.checkStaging('restoring');
    const tokens = await readSnapshotTokens(path, header);
    const sums = await readBlockSums(path, header);
    this.cached.truncate(0);
    this.lastLogits = null;
    await this.backend.loadKv(path, tensorsOffset(header), header.tokenCount, header.blockBytes, sums);
    this.cached.replace(tokens);
    return header.tokenCount;
  }

  // A device cache streams through a host buffer of snapshotStagingBytes: with less host memory free than that
  // and a margin, a save or restore is not attempted (an allocation that size could end the engine's process).
  private checkStaging(doing: 'saving' | 'restoring'): void {
    const support = this.backend.snapshots;
    if (!support.ok || !support.onDevice) return;
    const needed = snapshotStagingBytes(this.model.layout, this.backend.capacity);
    const free = this.hostAvailable();
    if (free < needed * STAGING_MARGIN) {
      throw new QuireError('LIMIT_EXCEEDED', `${doing} a ${this.backend.provider} cache needs ${formatBytes(needed * STAGING_MARGIN)} of free memory and ${formatBytes(free)} is free`);
    }
  }

  // How many leading prompt tokens a snapshot shares with the prompt (restoring it and rewinding to that many
  // keeps them), 0 for one made for another model or context (it is simply not used). A damaged one
  // (CORRUPT) is reported, so the caller can discard it and say so.
  private async snapshotPrefix(path: string, prompt: ArrayLike<number>): Promise<number | QuireError> {
    if (!existsSync(path)) return 0;
    try {
      const header = await readSnapshotHeader(path);
      checkSnapshot(header, { ...this.model.layout, modelHash: this.model.modelHash, ropeHash: this.model.ropeHash });
      if (header.tokenCount > this.backend.capacity) return 0;
      return commonLength(await readSnapshotTokens(path, header), prompt);
    } catch (error) {
      if (error instanceof QuireError && error.code === 'CORRUPT') return error;
      return 0;
    }
  }

  // Gets `prompt` into the cache the cheapest way: what the live cache already holds, then the saved prefix
  // `restore` where it holds more, then prefill of the rest. A damaged snapshot is never used: it is deleted,
  // the prompt prefilled instead, and `onWarning` told why. With `keepLogits` false only the cache matters
  // (a document's prefix); otherwise the last position's logits are ready for generation.
  async prepare(prompt: TokenIds, options: PrepareOptions = {}): Promise<Prepared> {
    const live = this.commonPrefix(prompt);
    const subject = options.subject ?? 'document';
    const snapshots = this.backend.snapshots.ok;
    const prepared: Prepared = { live, restored: null, fromSnapshot: 0, discarded: null, noRoom: false, prefilled: 0 };
    const usable = snapshots && options.restore ? await this.snapshotPrefix(options.restore, prompt) : 0;
    let damaged = usable instanceof QuireError ? usable : null;
    if (typeof usable === 'number' && usable > live) {
      options.onRestoring?.(usable);
      try {
        await this.restoreSnapshot(options.restore!);
        prepared.restored = options.restore!;
        prepared.fromSnapshot = usable;
      } catch (error) {
        if (error instanceof QuireError && error.code === 'LIMIT_EXCEEDED') {
          prepared.noRoom = true;
          options.onWarning?.(`this ${subject}'s saved cache was not restored: ${error.message}; the ${subject} is processed again`);
        } else if (error instanceof QuireError && (error.code === 'CORRUPT' || error.code === 'SNAPSHOT_MISMATCH')) damaged = error;
        else throw error;
      }
    }
    if (damaged) {
      await rm(options.restore!, { force: true });
      prepared.discarded = options.restore!;
      options.onWarning?.(`this ${subject}'s saved cache was damaged (${damaged.message}); it was discarded and the ${subject} processed again`);
    }
    const before = this.prefilledTokens;
    try {
      // A prompt already whole in the cache is read again only for its last logits, when they are wanted.
      if (options.logits === false && this.commonPrefix(prompt) === prompt.length) this.rewind(prompt.length);
      else await this.sync(prompt, options);
    } finally {
      prepared.prefilled = this.prefilledTokens - before;
    }
    return prepared;
  }

  // A document's prefix into the cache (from the live cache, its snapshot, or prefill), saved as that snapshot
  // when it had to be prefilled: what the GPU kit and benches time on their own.
  async loadDocument(tokens: TokenIds, snapshot: string, options: LoadDocumentOptions = {}): Promise<DocumentSource> {
    const prepared = await this.prepare(tokens, { ...options, restore: snapshot, logits: false });
    if (needsSave(prepared, tokens.length)) await this.saveSnapshotOrWarn(snapshot, tokens.length, options);
    return documentSource(prepared, tokens.length);
  }

  // The snapshot only saves time on a later question; failing to write it (a full disk, a quota, a file-size
  // limit, a read-only folder) must not cost this one. writeSnapshot leaves no partial file behind and an older
  // snapshot in place (still good for its prefix); the user is told why the text is processed again later.
  async saveSnapshotOrWarn(snapshot: string, length: number, options: { onWarning?: (message: string) => void; subject?: CacheSubject }): Promise<boolean> {
    const subject = options.subject ?? 'document';
    if (!this.backend.snapshots.ok) {
      options.onWarning?.(`this ${subject}'s cache cannot be saved here (${this.backend.snapshots.reason}); it is processed again after a restart`);
      return false;
    }
    try {
      await this.saveSnapshot(snapshot, length);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      const message = (error as Error).message ?? String(error);
      const reason = /ENOSPC|EDQUOT/.test(`${code} ${message}`)
        ? `the disk is full (${/EDQUOT/.test(`${code} ${message}`) ? 'EDQUOT' : 'ENOSPC'})`
        : /EFBIG/.test(`${code} ${message}`)
          ? 'a file size limit was reached (EFBIG)'
          : message.split('\n')[0];
      options.onWarning?.(`this ${subject}'s cache could not be saved: ${reason}; the answer is not affected, but the ${subject} is processed again after a restart`);
      return false;
    }
  }

  async release(): Promise<void> {
    await this.backend.release();
  }
}
