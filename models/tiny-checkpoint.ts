import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { float32ToBf16, float32ToHalf } from './float16.ts';
import { DEMO_CONFIG_KEY } from './manifest.ts';
import { DEMO_LABEL } from './model-spec.ts';
import { writeSafetensors, type SafeDtype, type TensorToWrite } from './safetensors.ts';
import { writeTinyTokenizer } from './tokenizer/tiny.ts';
import { mulberry32 } from '../electron/common/random.ts';

// Random-weight checkpoints in Hugging Face layout (config.json, safetensors, tokenizer) for tests, offline demos
// and conversion benchmarks. Weights come from a seeded generator, streamed in row chunks so multi-GB
// checkpoints with real 8B shapes can be written in bounded memory. They produce meaningless text, and their
// config says so.

export interface TinyCheckpointOptions {
  rope?: 'yarn' | 'llama3';
  hiddenSize?: number;
  intermediateSize?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  // Context the "pretrained" model had (original_max_position_embeddings) and the scaling factor on top.
  originalContext?: number;
  factor?: number;
  ropeTheta?: number;
  tied?: boolean;
  dtype?: SafeDtype;
  shards?: number;
  seed?: number;
  // Defaults to the vocabulary of the tiny tokenizer written alongside.
  vocabSize?: number;
  // Token ids whose lm_head rows are zero: their logit is always 0 while some of the hundreds of random
  // logits is positive, so greedy decoding never picks them (a model that never says end-of-turn).
  mutedTokens?: number[];
  // false: config.json carries no demo label, as in a real repository (the app then treats it as an instruct
  // model: Llama-3.1 chat template, system prompt, sampling). Default true.
  demo?: boolean;
  // Writes generation_config.json as Llama-3.1 Instruct ships it (sampling at temperature 0.6, top_p 0.9).
  generationConfig?: boolean;
}


// Rows generated 1 MiB of float32 at a time.
const CHUNK_VALUES = 256 * 1024;

function randomTensor(name: string, shape: number[], dtype: SafeDtype, seed: number, init: (r: () => number) => number): TensorToWrite {
  const total = shape.reduce((a, b) => a * b, 1);
  return {
    name,
    dtype,
    shape,
    chunks: function* () {
      const r = mulberry32(seed);
      const buf = new Float32Array(Math.min(CHUNK_VALUES, total));
      for (let done = 0; done < total; done += buf.length) {
        const part = buf.subarray(0, Math.min(buf.length, total - done));
        for (let i = 0; i < part.length; i++) part[i] = init(r);
        if (dtype === 'F32') yield new Uint8Array(part.buffer, 0, part.byteLength);
        else {
          const half = dtype === 'F16' ? float32ToHalf(part) : float32ToBf16(part);
          yield new Uint8Array(half.buffer);
        }
      }
    },
  };
}

function withZeroRows(tensor: TensorToWrite, rows: Set<number>, rowLength: number): TensorToWrite {
  if (rows.size === 0) return tensor;
  const elementBytes = tensor.dtype === 'F32' ? 4 : 2;
  return {
    ...tensor,
    chunks: function* () {
      let element = 0;
      for (const chunk of tensor.chunks()) {
        const out = new Uint8Array(chunk);
        for (let i = 0; i < out.length; i += elementBytes, element++) {
          if (rows.has(Math.floor(element / rowLength))) out.fill(0, i, i + elementBytes);
        }
        yield out;
      }
    },
  };
}

function tokenizerVocabSize(dir: string): number {
  const tok = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> }; added_tokens?: { id: number }[] };
  const ids = [...Object.values(tok.model.vocab), ...(tok.added_tokens ?? []).map((t) => t.id)];
  return Math.max(...ids) + 1;
}

// One model.safetensors, or `shards` files with the index transformers writes beside them.
function writeShards(dir: string, tensors: TensorToWrite[], shards: number): void {
  if (shards === 1) {
    writeSafetensors(join(dir, 'model.safetensors'), tensors);
    return;
  }
  const weightMap: Record<string, string> = {};
  const per = Math.ceil(tensors.length / shards);
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = tensors.slice(s * per, (s + 1) * per);
    writeSafetensors(join(dir, file), part);
    for (const t of part) weightMap[t.name] = file;
  }
  // As transformers writes it: the total tensor bytes, then which shard holds each tensor.
  const totalSize = tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'F32' ? 4 : 2), 0);
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2));
}

export async function writeTinyCheckpoint(dir: string, opts: TinyCheckpointOptions = {}): Promise<Record<string, unknown>> {
  mkdirSync(dir, { recursive: true });
  await writeTinyTokenizer(dir);
  const tokenizer = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  const H = opts.hiddenSize ?? 64;
  const I = opts.intermediateSize ?? 128;
  const layers = opts.layers ?? 2;
  const heads = opts.heads ?? 4;
  const kvHeads = opts.kvHeads ?? 2;
  const headDim = H / heads;
  const V = opts.vocabSize ?? tokenizerVocabSize(dir);
  const original = opts.originalContext ?? 32;
  const factor = opts.factor ?? 4;
  const dtype = opts.dtype ?? 'F32';
  const seed = opts.seed ?? 1;
  const ropeScaling = (opts.rope ?? 'yarn') === 'yarn'
    ? { rope_type: 'yarn', factor, original_max_position_embeddings: original, beta_fast: 4, beta_slow: 1 }
    : { rope_type: 'llama3', factor, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: original };
  // Token ids come from the tokenizer written above so the config and the vocabulary agree.
  const added = Object.entries(tokenizer.added_tokens_decoder as Record<string, { content: string }>);
  const idOf = (content: unknown) => Number(added.find(([, t]) => t.content === content)?.[0]);
  const config: Record<string, unknown> = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    ...(opts.demo === false ? {} : { [DEMO_CONFIG_KEY]: DEMO_LABEL }),
    hidden_size: H,
    intermediate_size: I,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: headDim,
    hidden_act: 'silu',
    vocab_size: V,
    rms_norm_eps: 1e-5,
    rope_theta: opts.ropeTheta ?? 10000,
    rope_scaling: ropeScaling,
    max_position_embeddings: original * factor,
    tie_word_embeddings: opts.tied ?? false,
    bos_token_id: idOf(tokenizer.bos_token),
    eos_token_id: [idOf('<|end_of_text|>'), idOf('<|eom_id|>'), idOf('<|eot_id|>')],
    attention_bias: false,
    mlp_bias: false,
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype],
  };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  if (opts.generationConfig) {
    const generation = { bos_token_id: config.bos_token_id, do_sample: true, eos_token_id: config.eos_token_id, temperature: 0.6, top_p: 0.9, transformers_version: '4.45.0' };
    writeFileSync(join(dir, 'generation_config.json'), `${JSON.stringify(generation, null, 2)}\n`);
  }

  let next = seed * 1000;
  // Uniform with variance 1/fan_in, so activations keep their scale through the layers.
  const matrix = (name: string, rows: number, cols: number) => {
    const bound = Math.sqrt(3 / cols);
    return randomTensor(name, [rows, cols], dtype, next++, (r) => (2 * r() - 1) * bound);
  };
  const normWeight = (name: string) => randomTensor(name, [H], dtype, next++, (r) => 0.8 + 0.4 * r());
  const tensors: TensorToWrite[] = [randomTensor('model.embed_tokens.weight', [V, H], dtype, next++, (r) => 2 * r() - 1)];
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`;
    tensors.push(
      normWeight(`${p}.input_layernorm.weight`),
      matrix(`${p}.self_attn.q_proj.weight`, heads * headDim, H),
      matrix(`${p}.self_attn.k_proj.weight`, kvHeads * headDim, H),
      matrix(`${p}.self_attn.v_proj.weight`, kvHeads * headDim, H),
      matrix(`${p}.self_attn.o_proj.weight`, H, heads * headDim),
      normWeight(`${p}.post_attention_layernorm.weight`),
      matrix(`${p}.mlp.gate_proj.weight`, I, H),
      matrix(`${p}.mlp.up_proj.weight`, I, H),
      matrix(`${p}.mlp.down_proj.weight`, H, I),
    );
  }
  tensors.push(normWeight('model.norm.weight'));
  if (!config.tie_word_embeddings) tensors.push(withZeroRows(matrix('lm_head.weight', V, H), new Set(opts.mutedTokens ?? []), H));
  else if (opts.mutedTokens?.length) throw new Error('mutedTokens needs an untied lm_head');

  writeShards(dir, tensors, opts.shards ?? 1);
  return config;
}
