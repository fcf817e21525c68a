import { closeSync, openSync, writeSync } from 'node:fs';
import { CHECKSUM_ALGORITHM, checksumHasher } from './file-checksum.ts';
import { FileWriterThread } from './file-writer-thread.ts';
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';

// ONNX TensorProto.DataType values come from the model spec (onnx-proto's tables stop at ONNX 1.10).
import { ONNX_TYPE as DT, ONNX_TYPE_BYTES as DT_BYTES, type OnnxType as DataType } from './model-spec.ts';

// Windows maps files in 64 KiB granules; ORT mmaps external data, so every tensor starts on that boundary.
export const EXTERNAL_ALIGNMENT = 64 * 1024;

export type Dim = number | string;
export type AttrValue = number | string | number[] | { float: number };

interface Attribute {
  name: string;
  value: AttrValue;
}

const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

function attribute({ name, value }: Attribute): onnx.IAttributeProto {
  if (typeof value === 'string') return { name, type: ATTR_STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: ATTR_INTS, ints: value };
  if (typeof value === 'object') return { name, type: ATTR_FLOAT, f: value.float };
  if (!Number.isInteger(value)) throw new Error(`attribute ${name}: integer expected, wrap floats as {float}`);
  return { name, type: ATTR_INT, i: value };
}

function valueInfo(name: string, elemType: DataType, dims: Dim[]): onnx.IValueInfoProto {
  const shape = { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) };
  return { name, type: { tensorType: { elemType, shape } } };
}

// Collects nodes, graph inputs/outputs and initializers, then encodes a ModelProto. Initializer bytes either
// stay inline (small constants) or go to an ExternalData file as they are produced.
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly inputs: onnx.IValueInfoProto[] = [];
  readonly outputs: onnx.IValueInfoProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private counter = 0;

  input(name: string, type: DataType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: DataType, dims: Dim[]): string {
    this.outputs.push(valueInfo(name, type, dims));
    return name;
  }

  // Returns the node's output names; `outputs` is a count (names derived from `name`) or explicit names.
  node(op: string, inputs: string[], outputs: number | string[], attrs: Record<string, AttrValue> = {}, opts: { domain?: string; name?: string } = {}): string[] {
    const name = opts.name ?? `${op}_${this.counter++}`;
    const outNames = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => `${name}/out${i}`) : outputs;
    this.nodes.push({
      name,
      opType: op,
      domain: opts.domain ?? '',
      input: inputs,
      output: outNames,
      attribute: Object.entries(attrs).map(([n, value]) => attribute({ name: n, value })),
    });
    return outNames;
  }

  constant(name: string, type: typeof DT.INT64 | typeof DT.INT32 | typeof DT.FLOAT, dims: number[], values: number[]): string {
    const tensor: onnx.ITensorProto = { name, dataType: type, dims };
    if (type === DT.INT64) tensor.int64Data = values;
    else if (type === DT.INT32) tensor.int32Data = values;
    else tensor.floatData = values;
    this.initializers.push(tensor);
    return name;
  }

  encode(opsets: Record<string, number>, meta: { producer: string; doc?: string; props?: Record<string, string> }): Uint8Array {
    const model: onnx.IModelProto = {
      irVersion: 10,
      producerName: meta.producer,
      docString: meta.doc ?? '',
      opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
      metadataProps: Object.entries(meta.props ?? {}).map(([key, value]) => ({ key, value })),
      graph: { name: 'main', node: this.nodes, input: this.inputs, output: this.outputs, initializer: this.initializers },
    };
    return onnxProto.onnx.ModelProto.encode(model).finish();
  }
}

// Appends tensors to one data file, each at a 64 KiB-aligned offset, writing chunks as they arrive so a tensor
// never has to exist whole in memory. With `thread`, the hashing and writing happen on a thread of their own
// (file-writer-thread.ts) while the caller produces the next chunk; the file and its checksum are the same.
export class ExternalData {
  readonly location: string;
  private readonly fd: number | null = null;
  private readonly writer: FileWriterThread | null = null;
  private offset = 0;
  bytesWritten = 0;
  // The checksum of the file as written, alignment gaps (which read back as zeros) included: the conversion
  // records it without reading gigabytes back.
  private readonly hash = checksumHasher(CHECKSUM_ALGORITHM);
  private digest: string | undefined;

  constructor(path: string, location: string, options: { thread?: boolean } = {}) {
    if (options.thread) this.writer = new FileWriterThread(path);
    else this.fd = openSync(path, 'w');
    this.location = location;
  }

  add(builder: GraphBuilder, name: string, type: DataType, dims: number[], chunks: Iterable<Uint8Array>): void {
    const start = Math.ceil(this.offset / EXTERNAL_ALIGNMENT) * EXTERNAL_ALIGNMENT;
    if (this.writer) this.writer.write(new Uint8Array(0), start, start - this.offset);
    else this.hash.update(new Uint8Array(start - this.offset));
    let position = start;
    for (const chunk of chunks) {
      if (this.writer) {
        this.writer.write(chunk, position);
      } else {
        this.hash.update(chunk);
        let done = 0;
        while (done < chunk.byteLength) done += writeSync(this.fd!, chunk, done, chunk.byteLength - done, position + done);
      }
      position += chunk.byteLength;
    }
    const length = position - start;
    const expected = dims.reduce((a, b) => a * b, 1) * DT_BYTES[type];
    if (length !== expected) throw new Error(`${name}: wrote ${length} bytes, shape wants ${expected}`);
    this.offset = position;
    this.bytesWritten += length;
    builder.initializers.push({
      name,
      dataType: type,
      dims,
      dataLocation: 1, // EXTERNAL
      externalData: [
        { key: 'location', value: this.location },
        { key: 'offset', value: String(start) },
        { key: 'length', value: String(length) },
      ],
    });
  }

  // Waits for the writes still queued (with a thread) and closes the file.
  close(): void {
    if (this.writer) this.digest = this.writer.finish();
    else closeSync(this.fd!);
  }

  // The hex checksum (CHECKSUM_ALGORITHM) of everything added; call once, after close().
  checksum(): string {
    return this.digest ?? this.hash.digest();
  }
}
