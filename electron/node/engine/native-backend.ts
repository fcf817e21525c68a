// The native path: the cache lives in addon-owned tensors bound as past and present, logits come back alone,
// runs leave the JS thread and can be terminated mid-step.
import type { FileHandle } from 'node:fs/promises';
import { QuireError } from '../../common/errors.ts';
import { noF16Advice } from './provider-check.ts';
import { INTRA_OP_SPINNING, INTRA_OP_SPINNING_KEY, intraOpThreads, stepLengths, type Backend, type SnapshotSupport, type StepResult } from './backend.ts';
import { KERNEL_PATHS, type KernelPath, type NativeAddon, type NativeSession, type NativeSessionOptions } from './native-addon.ts';
import type { ModelFolder, RopeInputs } from './model-folder.ts';
import { GRAPH_IO, isQuantizedKv, kvElementType, kvRowElements, ONNX_TYPE, webgpuF16Need, type ModelManifest } from '../../../models/model-spec.ts';

// Memory names ORT's allocators answer to, per provider; the cache goes where attention runs.
export const KV_MEMORY: Record<string, string> = { cpu: 'Cpu', cuda: 'Cuda', webgpu: 'WebGPU_Buf', dml: 'DML' };

export const INT4_KERNEL_ENV = 'QUIRE_INT4_KERNEL';
export const ATTENTION_KERNEL_ENV = 'QUIRE_ATTENTION_KERNEL';

// Which kernel an environment variable chooses where Quire's applies: quire (the default: true, its widest path
// this CPU runs), onnxruntime (false: its built-in kernel, to compare the two), or a path of Quire's kernel (to
// compare them on a CPU with both; where the CPU lacks it, onnxruntime's kernel runs). A value it does not know is
// refused wherever it is read.
function kernelWanted(name: string, env: NodeJS.ProcessEnv, applies: boolean): boolean | KernelPath {
  const choice = env[name] || 'quire';
  const choices: string[] = ['quire', 'onnxruntime', ...KERNEL_PATHS];
  if (!choices.includes(choice)) throw new QuireError('INVALID_INPUT', `${name} wants ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}, got "${choice}"`);
  if (choice === 'onnxruntime' || !applies) return false;
  return choice === 'quire' ? true : (choice as KernelPath);
}

// Quire's int4 kernel reads a prompt ~2.8× faster than onnxruntime 1.30's MatMulNBits at block 32 on AVX-512
// VNNI (bench/int4-kernel.ts); it runs the CPU path's 4-bit nodes, with fp32 or fp16 activations, which is what an
// int4 conversion writes, on AVX-512 VNNI or AVX2. QUIRE_INT4_KERNEL=onnxruntime keeps onnxruntime's kernel;
// =avx2 (or =avx512) takes that path of Quire's.
export function int4KernelWanted(provider: string, manifest: Pick<ModelManifest, 'precision'>, env: NodeJS.ProcessEnv = process.env): boolean | KernelPath {
  return kernelWanted(INT4_KERNEL_ENV, env, provider === 'cpu' && manifest.precision === 'int4');
}

// Quire's attention (native/src/gqa_attention.cc) reads each kv head's cache once per decode step, where onnxruntime
// 1.30 converts an fp16 cache to float32 once per query head, and reads an fp16 prompt in tiles, where onnxruntime
// holds a chunk's scores against the whole cache (4.2 GB at 32K, 8B widths; bench/attention-kernel.ts). It takes the
// CPU path's float caches; a quantized cache keeps onnxruntime's kernel. QUIRE_ATTENTION_KERNEL=onnxruntime keeps it
// always; =avx2 (or =avx512) takes that path of Quire's, where the CPU runs it (to compare them on a CPU with both).
export function attentionKernelWanted(provider: string, manifest: Pick<ModelManifest, 'kvDtype'>, env: NodeJS.ProcessEnv = process.env): boolean | KernelPath {
  return kernelWanted(ATTENTION_KERNEL_ENV, env, provider === 'cpu' && !isQuantizedKv(manifest.kvDtype));
}

export function nativeSessionOptions(options: NativeSessionOptions): NativeSessionOptions {
  return {
    ...options,
    intraOpThreads: intraOpThreads(options.intraOpThreads),
    sessionConfig: { [INTRA_OP_SPINNING_KEY]: INTRA_OP_SPINNING, ...options.sessionConfig },
  };
}

export class NativeBackend implements Backend {
  readonly path = 'native' as const;
  readonly provider: string;
  readonly capacity: number;
  readonly snapshots: SnapshotSupport;
  private readonly session: NativeSession;
  // The tables whose rows each step writes (cpu), or null where they were bound whole at load.
  private readonly rope: RopeInputs | null;
  // What of this model needs 16-bit float shaders on WebGPU, for the advice when the device lacks them.
  private readonly f16Need: string;

  constructor(addon: NativeAddon, model: ModelFolder, rope: RopeInputs, options: NativeSessionOptions) {
    this.provider = options.provider;
    this.capacity = rope.dims[0];
    const m = model.manifest;
    this.session = new addon.Session(model.modelPath, nativeSessionOptions({ int4Kernel: int4KernelWanted(options.provider, m), attentionKernel: attentionKernelWanted(options.provider, m), ...options }));
    this.f16Need = webgpuF16Need({ precision: m.precision, io: m.ioDtype, kv: m.kvDtype }) ?? 'fp16 activations';
    const { layers, kvHeads, headDim, kvDtype } = model.layout;
    const kvType = kvElementType(model.kv);
    // quire.json and the graph must agree, or the cache would be bound with the wrong element size.
    const graphKv = this.session.describe().inputs.find((i) => i.name === GRAPH_IO.past(0, 'key'));
    if (graphKv?.elementType !== kvType) {
      this.session.release();
      throw new QuireError('UNSUPPORTED_MODEL', `the graph's KV cache is not the ${kvDtype} that quire.json declares`);
    }
    const entries = [];
    for (let l = 0; l < layers; l++) {
      for (const kind of ['key', 'value'] as const) entries.push({ past: GRAPH_IO.past(l, kind), present: GRAPH_IO.present(l, kind) });
    }
    this.session.allocKv(entries, [1, kvHeads, this.capacity, kvRowElements(headDim, model.kv)], kvType, KV_MEMORY[options.provider] ?? 'Cpu');
    // A host input bound for a GPU is copied to the device when it is bound (onnxruntime's IoBinding), so a
    // device gets the whole tables once; the cpu reads the bound memory itself and gets each step's rows.
    this.rope = options.provider === 'cpu' ? rope : null;
    if (this.rope) {
      this.session.allocInput(GRAPH_IO.cosCache, rope.dims, rope.elementType);
      this.session.allocInput(GRAPH_IO.sinCache, rope.dims, rope.elementType);
    } else {
      const all = rope.rows(0, rope.dims[0]);
      this.session.setInput(GRAPH_IO.cosCache, all.cos, rope.dims, rope.elementType);
      this.session.setInput(GRAPH_IO.sinCache, all.sin, rope.dims, rope.elementType);
    }
    this.session.bindHostOutput(GRAPH_IO.logits);
    const copy = this.session.kvSnapshots();
    this.snapshots = copy.ok ? { ok: true, onDevice: copy.onDevice } : { ok: false, reason: `${options.provider} memory cannot be copied to the host: ${copy.reason ?? 'unknown'}` };
  }

  async step(ids: ArrayLike<number>, past: number, keep: number): Promise<StepResult> {
    const { seqlensK, total } = stepLengths(past, ids.length);
    if (total > this.capacity) throw new QuireError('DOES_NOT_FIT', `${total} tokens exceed the ${this.capacity}-token context`);
    if (this.rope) {
      const rows = this.rope.rows(past, ids.length);
      const at = past * this.rope.dims[1] * rows.cos.BYTES_PER_ELEMENT;
      this.session.writeInput(GRAPH_IO.cosCache, at, rows.cos);
      this.session.writeInput(GRAPH_IO.sinCache, at, rows.sin);
    }
    this.session.setInput(GRAPH_IO.inputIds, BigInt64Array.from(Array.from(ids, BigInt)), [1, ids.length], ONNX_TYPE.INT64);
    this.session.setInput(GRAPH_IO.seqlensK, Int32Array.of(seqlensK), [1], ONNX_TYPE.INT32);
    this.session.setInput(GRAPH_IO.totalSequenceLength, Int32Array.of(total), [], ONNX_TYPE.INT32);
    this.session.setInput(GRAPH_IO.numLogitsToKeep, BigInt64Array.of(BigInt(keep)), [1], ONNX_TYPE.INT64);
    try {
      const out = await this.session.run();
      return { logits: out[GRAPH_IO.logits].data, keep };
    } catch (error) {
      const message = (error as Error).message;
      if (message.startsWith('CANCELLED')) throw new QuireError('CANCELLED', 'cancelled');
      // Where the adapter's features could not be asked beforehand (no Vulkan probe), WebGPU says it only here.
      if (/requires f16 but the device does not support it/.test(message)) throw new QuireError('UNSUPPORTED_MODEL', noF16Advice('this GPU', this.f16Need));
      throw new QuireError('INTERNAL', message.split('\n')[0]);
    }
  }

  cancel(): void {
    this.session.cancel();
  }

  async saveKv(_file: FileHandle, path: string, offset: number, tokens: number, blockBytes: number): Promise<Uint32Array> {
    return this.session.saveKv(path, offset, tokens, blockBytes).catch(nativeError);
  }

  async loadKv(path: string, offset: number, tokens: number, blockBytes: number, sums: Uint32Array): Promise<void> {
    await this.session.loadKv(path, offset, tokens, blockBytes, sums).catch(nativeError);
  }

  async release(): Promise<void> {
    this.session.release();
  }
}

// The addon's snapshot errors carry their code as a prefix ("CORRUPT: snapshot block 3 fails its checksum").
function nativeError(error: Error): never {
  const message = error.message.split('\n')[0];
  if (message.startsWith('CORRUPT: ')) throw new QuireError('CORRUPT', message.slice('CORRUPT: '.length));
  throw new QuireError('INTERNAL', message);
}
