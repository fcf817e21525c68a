// The fallback path on stock onnxruntime-node, for where the native addon cannot build. The same cache tensor
// is passed as `past_key_values.i.*` feed and `present.i.*` fetch, so GroupQueryAttention updates it in place
// (equal pointers); the binding still copies every fetched output out again, which is what makes this path
// slow at long context (docs/design.md §3) — correct, not fast.
import type { FileHandle } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { QuireError } from '../../common/errors.ts';
import { readCacheBody, writeCacheBody } from './kv-snapshot.ts';
import { INTRA_OP_SPINNING, intraOpThreads, stepLengths, type Backend, type SnapshotSupport, type StepResult } from './backend.ts';
import type { ModelFolder, RopeInputs } from './model-folder.ts';
import { GRAPH_IO, IO_TYPE, KV_STORAGE, kvRowElements, ORT_TYPE_NAME } from '../../../models/model-spec.ts';

// onnxruntime-common stores float16 tensor data as a Float16Array when the runtime has one (Node ≥ 24), and the
// 1.30 binding then reads it as empty ("not enough space: expected N, got 0"). Its type table is built on the
// first Tensor; building it while Float16Array is hidden keeps float16 data in Uint16Array, which the binding
// reads. If something built the table earlier, fp16 models are refused on this path instead of failing.
function initFloat16Storage(): boolean {
  const global = globalThis as { Float16Array?: unknown };
  const saved = global.Float16Array;
  delete global.Float16Array;
  try {
    new ort.Tensor('float32', new Float32Array(1), [1]);
  } finally {
    if (saved !== undefined) global.Float16Array = saved;
  }
  return new ort.Tensor('float16', new Uint16Array(1), [1]).data instanceof Uint16Array;
}
const FLOAT16_OK = initFloat16Storage();

export interface OrtNodeOptions {
  provider: 'cpu';
  intraOpThreads?: number;
}

export function ortNodeSessionOptions(options: OrtNodeOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [options.provider],
    graphOptimizationLevel: 'all',
    // onnxruntime-node has no log file to route to: its warnings (node placement) stay off the terminal,
    // its errors still print.
    logSeverityLevel: 3,
    intraOpNumThreads: intraOpThreads(options.intraOpThreads),
    extra: { session: { intra_op: { allow_spinning: INTRA_OP_SPINNING } } },
  };
}

export class OrtNodeBackend implements Backend {
  readonly path = 'onnxruntime-node' as const;
  readonly provider: string;
  readonly capacity: number;
  // The cache is JS memory on this path.
  readonly snapshots: SnapshotSupport = { ok: true, onDevice: false };
  private readonly session: ort.InferenceSession;
  private readonly model: ModelFolder;
  private readonly cache: ort.Tensor[];
  // Zeroed tables of the whole context; each step writes the rows it rotates (model-folder.ts ropeInputs).
  private readonly rope: { inputs: RopeInputs; cos: ort.Tensor; sin: ort.Tensor };
  private cancelled = false;

  private constructor(session: ort.InferenceSession, model: ModelFolder, rope: RopeInputs, provider: string) {
    this.session = session;
    this.model = model;
    this.provider = provider;
    this.capacity = rope.dims[0];
    const { layers, kvHeads, headDim, kvDtype } = model.layout;
    const ortType = ORT_TYPE_NAME[KV_STORAGE[kvDtype].elementType] as 'float32' | 'float16' | 'int8' | 'uint8';
    const shape = [1, kvHeads, this.capacity, kvRowElements(headDim, kvDtype)];
    const elements = shape.reduce((a, b) => a * b, 1);
    // Shared memory, so that a restore checks it on worker threads (block-sum-workers.ts); onnxruntime reads and
    // writes it in place as any other.
    const shared = (bytesPerElement: number) => new SharedArrayBuffer(elements * bytesPerElement);
    const cacheView = {
      float32: () => new Float32Array(shared(Float32Array.BYTES_PER_ELEMENT)),
      float16: () => new Uint16Array(shared(Uint16Array.BYTES_PER_ELEMENT)),
      int8: () => new Int8Array(shared(Int8Array.BYTES_PER_ELEMENT)),
      uint8: () => new Uint8Array(shared(Uint8Array.BYTES_PER_ELEMENT)),
    }[ortType];
    this.cache = Array.from({ length: layers * 2 }, () => new ort.Tensor(ortType, cacheView(), shape));
    const type = rope.elementType === IO_TYPE.fp16 ? 'float16' : 'float32';
    const [context, half] = rope.dims;
    const table = () => (type === 'float16' ? new Uint16Array(context * half) : new Float32Array(context * half));
    this.rope = { inputs: rope, cos: new ort.Tensor(type, table(), rope.dims), sin: new ort.Tensor(type, table(), rope.dims) };
  }

  static async open(model: ModelFolder, rope: RopeInputs, options: OrtNodeOptions = { provider: 'cpu' }): Promise<OrtNodeBackend> {
    if (!FLOAT16_OK && (model.layout.kvDtype === 'fp16' || rope.elementType === IO_TYPE.fp16)) {
      throw new QuireError('UNSUPPORTED_MODEL', 'fp16 models need the native addon here: onnxruntime-node cannot pass float16 tensors on this Node');
    }
    const session = await ort.InferenceSession.create(model.modelPath, ortNodeSessionOptions(options));
    return new OrtNodeBackend(session, model, rope, options.provider);
  }

  // Per layer K then V; the snapshot body has the same order.
  private cacheBytes = (layer: number, kind: 0 | 1): Uint8Array => {
    const data = this.cache[layer * 2 + kind].data as Float32Array | Uint16Array | Int8Array | Uint8Array;
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  };

  async step(ids: ArrayLike<number>, past: number, keep: number): Promise<StepResult> {
    const { seqlensK, total } = stepLengths(past, ids.length);
    if (total > this.capacity) throw new QuireError('DOES_NOT_FIT', `${total} tokens exceed the ${this.capacity}-token context`);
    const rows = this.rope.inputs.rows(past, ids.length);
    const at = past * this.rope.inputs.dims[1];
    (this.rope.cos.data as Float32Array | Uint16Array).set(rows.cos, at);
    (this.rope.sin.data as Float32Array | Uint16Array).set(rows.sin, at);
    const feeds: Record<string, ort.Tensor> = {
      [GRAPH_IO.inputIds]: new ort.Tensor('int64', BigInt64Array.from(Array.from(ids, BigInt)), [1, ids.length]),
      [GRAPH_IO.seqlensK]: new ort.Tensor('int32', Int32Array.of(seqlensK), [1]),
      [GRAPH_IO.totalSequenceLength]: new ort.Tensor('int32', Int32Array.of(total), []),
      [GRAPH_IO.cosCache]: this.rope.cos,
      [GRAPH_IO.sinCache]: this.rope.sin,
      [GRAPH_IO.numLogitsToKeep]: new ort.Tensor('int64', BigInt64Array.of(BigInt(keep)), [1]),
    };
    const fetches: Record<string, ort.Tensor | null> = { [GRAPH_IO.logits]: null };
    for (let l = 0; l < this.model.layout.layers; l++) {
      feeds[GRAPH_IO.past(l, 'key')] = fetches[GRAPH_IO.present(l, 'key')] = this.cache[l * 2];
      feeds[GRAPH_IO.past(l, 'value')] = fetches[GRAPH_IO.present(l, 'value')] = this.cache[l * 2 + 1];
    }
    // The binding's run cannot be interrupted; cancel() takes effect when it returns.
    this.cancelled = false;
    const out = await this.session.run(feeds, fetches);
    // The binding hands back a copy of every output in an ArrayBuffer of its own, the caches it has just written
    // in place included (onnxruntime 1.30's js/node/src/inference_session_wrap.cc converts each fetched value,
    // given or not): a whole-cache copy every step, garbage as soon as it returns, that V8 frees at a collection
    // of its choosing — two 512-token steps at 64K held 136 MB of them beside a 67 MB cache. Detached here, each
    // copy is freed now. The cache itself is a SharedArrayBuffer, never one of these.
    for (const [name, tensor] of Object.entries(out)) {
      const buffer = (tensor.data as ArrayBufferView).buffer;
      if (name !== GRAPH_IO.logits && buffer instanceof ArrayBuffer) buffer.transfer(0);
    }
    if (this.cancelled) throw new QuireError('CANCELLED', 'cancelled');
    return { logits: out[GRAPH_IO.logits].data as Float32Array, keep };
  }

  cancel(): void {
    this.cancelled = true;
  }

  async saveKv(file: FileHandle, _path: string, offset: number, tokens: number, blockBytes: number): Promise<Uint32Array> {
    return writeCacheBody(file, offset, this.model.layout, tokens, this.capacity, this.cacheBytes, blockBytes);
  }

  async loadKv(path: string, offset: number, tokens: number, blockBytes: number, sums: Uint32Array): Promise<void> {
    await readCacheBody(path, offset, this.model.layout, tokens, this.capacity, this.cacheBytes, blockBytes, sums);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
