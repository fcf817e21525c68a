// The weights of a converted Quire model folder, read back from model.onnx's initializer table and the external
// data file they point into, a byte range at a time: what `quire export gguf` hands to another engine, so that
// engine runs the values Quire runs (int4 blocks included) rather than a second quantization of the checkpoint.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { QuireError } from '../electron/common/errors.ts';
import { readManifest } from './manifest.ts';
import { ONNX_TYPE_BYTES, type ModelManifest, type OnnxType } from './model-spec.ts';

export interface StoredTensor {
  name: string;
  type: OnnxType;
  dims: number[];
  offset: number; // in the data file
  byteLength: number;
}

const EXTERNAL = 1; // TensorProto.DataLocation

export class ModelWeights {
  readonly dir: string;
  readonly manifest: ModelManifest;
  private readonly tensors = new Map<string, StoredTensor>();
  private readonly fd: number;

  constructor(dir: string) {
    this.dir = dir;
    this.manifest = readManifest(dir);
    const { model, data } = this.manifest.files;
    let graph;
    try {
      graph = onnxProto.onnx.ModelProto.decode(readFileSync(join(dir, model))).graph;
    } catch (error) {
      throw new QuireError('MODEL_CORRUPT', `${dir}: ${model} cannot be read (${(error as Error).message.split('\n')[0]}); convert the model again`);
    }
    try {
      this.fd = openSync(join(dir, data), 'r');
    } catch {
      throw new QuireError('MODEL_CORRUPT', `${dir} has no ${data}; convert the model again`);
    }
    const size = fstatSync(this.fd).size;
    // Only weights live in the data file; the graph's small constants (shapes, KV scales) stay inline.
    for (const t of graph?.initializer ?? []) {
      if (t.dataLocation !== EXTERNAL || !t.name) continue;
      const entry = (key: string) => Number(t.externalData?.find((e) => e.key === key)?.value ?? NaN);
      const type = t.dataType as OnnxType;
      const dims = (t.dims ?? []).map(Number);
      const stored = { name: t.name, type, dims, offset: entry('offset'), byteLength: entry('length') };
      if (!(type in ONNX_TYPE_BYTES) || stored.byteLength !== dims.reduce((a, b) => a * b, 1) * ONNX_TYPE_BYTES[type] || !(stored.offset + stored.byteLength <= size)) {
        this.close();
        throw new QuireError('MODEL_CORRUPT', `${dir}: ${t.name} does not fit ${data}; convert the model again`);
      }
      this.tensors.set(t.name, stored);
    }
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): StoredTensor {
    const t = this.tensors.get(name);
    if (!t) throw new QuireError('MODEL_CORRUPT', `${this.dir}: the graph has no weight ${name}; convert the model again`);
    return t;
  }

  // Bytes [start, start + length) of a tensor's data.
  read(name: string, start: number, length: number): Uint8Array {
    const t = this.info(name);
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const n = readSync(this.fd, out, done, length - done, t.offset + start + done);
      if (n === 0) throw new QuireError('MODEL_CORRUPT', `${this.dir}: ${name} ends early; convert the model again`);
      done += n;
    }
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}
