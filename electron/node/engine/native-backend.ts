// The native path: the cache lives in addon-owned tensors bound as past and present, logits come back alone,
// runs leave the JS thread and can be terminated mid-step.
import type { FileHandle } from 'node:fs/promises';
import { QuireError } from '../../common/errors.ts';
import { KV_INPUT, KV_OUTPUT, stepLengths, type Backend, type StepResult } from './backend.ts';
import type { NativeAddon, NativeSession, NativeSessionOptions } from './native-addon.ts';
import { KV_STORAGE, type ModelFolder, type RopeInputs } from './model-folder.ts';

const ONNX = { INT32: 6, INT64: 7 } as const;

// Memory names ORT's allocators answer to, per provider; the cache goes where attention runs.
export const KV_MEMORY: Record<string, string> = { cpu: 'Cpu', cuda: 'Cuda', webgpu: 'WebGPU_Buf', dml: 'DML' };

export class NativeBackend implements Backend {
  readonly path = 'native' as const;
  readonly provider: string;
  readonly capacity: number;
  private readonly session: NativeSession;

  constructor(addon: NativeAddon, model: ModelFolder, rope: RopeInputs, options: NativeSessionOptions) {
    this.provider = options.provider;
    this.capacity = rope.dims[0];
    this.session = new addon.Session(model.modelPath, options);
    const { layers, kvHeads, headDim, kvDtype } = model.layout;
    const storage = KV_STORAGE[kvDtype];
    const kvType = storage.elementType;
    // quire.json and the graph must agree, or the cache would be bound with the wrong element size.
    const graphKv = this.session.describe().inputs.find((i) => i.name === KV_INPUT(0, 'key'));
    if (graphKv?.elementType !== kvType) {
      this.session.release();
      throw new QuireError('UNSUPPORTED_MODEL', `the graph's KV cache is not the ${kvDtype} that quire.json declares`);
    }
    const entries = [];
    for (let l = 0; l < layers; l++) {
      for (const kind of ['key', 'value'] as const) entries.push({ past: KV_INPUT(l, kind), present: KV_OUTPUT(l, kind) });
    }
    this.session.allocKv(entries, [1, kvHeads, this.capacity, storage.perRow(headDim)], kvType, KV_MEMORY[options.provider] ?? 'Cpu');
    this.session.setInput('cos_cache', rope.cos, rope.dims, rope.elementType);
    this.session.setInput('sin_cache', rope.sin, rope.dims, rope.elementType);
    this.session.bindHostOutput('logits');
  }

  async step(ids: ArrayLike<number>, past: number, keep: number): Promise<StepResult> {
    const { seqlensK, total } = stepLengths(past, ids.length);
    if (total > this.capacity) throw new QuireError('DOES_NOT_FIT', `${total} tokens exceed the ${this.capacity}-token context`);
    this.session.setInput('input_ids', BigInt64Array.from(Array.from(ids, BigInt)), [1, ids.length], ONNX.INT64);
    this.session.setInput('seqlens_k', Int32Array.of(seqlensK), [1], ONNX.INT32);
    this.session.setInput('total_sequence_length', Int32Array.of(total), [], ONNX.INT32);
    this.session.setInput('num_logits_to_keep', BigInt64Array.of(BigInt(keep)), [1], ONNX.INT64);
    try {
      const out = await this.session.run();
      return { logits: out.logits.data, keep };
    } catch (error) {
      const message = (error as Error).message;
      if (message.startsWith('CANCELLED')) throw new QuireError('CANCELLED', 'cancelled');
      throw new QuireError('INTERNAL', message.split('\n')[0]);
    }
  }

  cancel(): void {
    this.session.cancel();
  }

  async saveKv(_file: FileHandle, path: string, offset: number, tokens: number): Promise<void> {
    await this.session.saveKv(path, offset, tokens);
  }

  async loadKv(path: string, offset: number, tokens: number): Promise<void> {
    await this.session.loadKv(path, offset, tokens);
  }

  async release(): Promise<void> {
    this.session.release();
  }
}
