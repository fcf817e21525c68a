// An independent float64 forward pass of a Llama checkpoint in Hugging Face layout (config.json plus float32
// safetensors), written from the architecture's definition rather than from the ONNX graph: RMSNorm, RoPE with
// YaRN or llama3 scaling, grouped-query causal attention, SwiGLU. It returns the logits of every position, so
// one pass serves every prompt length, chunking and decode schedule the suite runs. It follows the reference in
// test/unit/models/convert.test.ts, kept separate so this suite can run whole prompts of ~1,000 tokens: typed
// arrays and one pass with a growing key/value cache instead of recomputing every prefix.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface RopeScaling {
  rope_type: 'yarn' | 'llama3';
  factor: number;
  original_max_position_embeddings: number;
  beta_fast?: number;
  beta_slow?: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
}

export interface LlamaConfig {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  vocab_size: number;
  rms_norm_eps: number;
  rope_theta: number;
  rope_scaling: RopeScaling;
  tie_word_embeddings: boolean;
}

type Weights = Map<string, Float64Array>;

function readF32Safetensors(path: string, into: Weights): void {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString()) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (t.dtype !== 'F32') throw new Error(`reference reads F32 checkpoints only, ${name} is ${t.dtype}`);
    const bytes = buf.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]);
    into.set(name, Float64Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))));
  }
}

function invFreq(c: LlamaConfig): Float64Array {
  const d = c.head_dim;
  const b = c.rope_theta;
  const r = c.rope_scaling;
  return Float64Array.from({ length: d / 2 }, (_, i) => {
    const f = b ** (-(2 * i) / d);
    if (r.rope_type === 'yarn') {
      const dimOf = (rot: number) => (d * Math.log(r.original_max_position_embeddings / (2 * Math.PI * rot))) / (2 * Math.log(b));
      const lo = Math.max(0, Math.floor(dimOf(r.beta_fast!)));
      const hi = Math.min(d - 1, Math.ceil(dimOf(r.beta_slow!)));
      const gamma = Math.min(1, Math.max(0, (i - lo) / (hi === lo ? 0.001 : hi - lo)));
      return f * (1 - gamma) + (f / r.factor) * gamma;
    }
    const wl = (2 * Math.PI) / f;
    const L = r.original_max_position_embeddings;
    if (wl < L / r.high_freq_factor!) return f;
    if (wl > L / r.low_freq_factor!) return f / r.factor;
    const sm = (L / wl - r.low_freq_factor!) / (r.high_freq_factor! - r.low_freq_factor!);
    return (1 - sm) * (f / r.factor) + sm * f;
  });
}

export class Float64Llama {
  readonly config: LlamaConfig;
  private readonly w: Weights = new Map();

  constructor(hfDir: string) {
    this.config = JSON.parse(readFileSync(join(hfDir, 'config.json'), 'utf8')) as LlamaConfig;
    readF32Safetensors(join(hfDir, 'model.safetensors'), this.w);
  }

  private W(name: string): Float64Array {
    const t = this.w.get(name);
    if (!t) throw new Error(`reference: no tensor ${name}`);
    return t;
  }

  // Logits of every position of `ids`, [ids.length][vocab].
  logits(ids: readonly number[]): Float64Array[] {
    const c = this.config;
    const H = c.hidden_size, d = c.head_dim, nq = c.num_attention_heads, nkv = c.num_key_value_heads, I = c.intermediate_size;
    const V = c.vocab_size, T = ids.length, group = nq / nkv;
    const mscale = c.rope_scaling.rope_type === 'yarn' ? 0.1 * Math.log(c.rope_scaling.factor) + 1 : 1;
    const freq = invFreq(c);
    const matvec = (M: Float64Array, rows: number, cols: number, x: Float64Array, out = new Float64Array(rows)) => {
      for (let r = 0; r < rows; r++) {
        let s = 0;
        const o = r * cols;
        for (let k = 0; k < cols; k++) s += M[o + k] * x[k];
        out[r] = s;
      }
      return out;
    };
    const rms = (x: Float64Array, g: Float64Array) => {
      let ss = 0;
      for (const v of x) ss += v * v;
      const inv = 1 / Math.sqrt(ss / x.length + c.rms_norm_eps);
      return x.map((v, i) => v * inv * g[i]);
    };
    const rope = (v: Float64Array, offset: number, pos: number) => {
      for (let i = 0; i < d / 2; i++) {
        const cos = Math.cos(pos * freq[i]) * mscale, sin = Math.sin(pos * freq[i]) * mscale;
        const a = v[offset + i], b = v[offset + i + d / 2];
        v[offset + i] = a * cos - b * sin;
        v[offset + i + d / 2] = b * cos + a * sin;
      }
    };
    const embed = this.W('model.embed_tokens.weight');
    const xs = ids.map((id) => embed.slice(id * H, (id + 1) * H));
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const p = `model.layers.${l}`;
      const Wq = this.W(`${p}.self_attn.q_proj.weight`), Wk = this.W(`${p}.self_attn.k_proj.weight`), Wv = this.W(`${p}.self_attn.v_proj.weight`);
      const Wo = this.W(`${p}.self_attn.o_proj.weight`);
      const Wg = this.W(`${p}.mlp.gate_proj.weight`), Wu = this.W(`${p}.mlp.up_proj.weight`), Wd = this.W(`${p}.mlp.down_proj.weight`);
      const ln1 = this.W(`${p}.input_layernorm.weight`), ln2 = this.W(`${p}.post_attention_layernorm.weight`);
      // Keys and values of every position, [T][nkv·d], RoPE applied to keys.
      const K = new Float64Array(T * nkv * d), Vv = new Float64Array(T * nkv * d);
      const Q = new Float64Array(T * nq * d);
      for (let t = 0; t < T; t++) {
        const h = rms(xs[t], ln1);
        const q = matvec(Wq, nq * d, H, h), k = matvec(Wk, nkv * d, H, h), v = matvec(Wv, nkv * d, H, h);
        for (let j = 0; j < nq; j++) rope(q, j * d, t);
        for (let j = 0; j < nkv; j++) rope(k, j * d, t);
        Q.set(q, t * nq * d);
        K.set(k, t * nkv * d);
        Vv.set(v, t * nkv * d);
      }
      const scores = new Float64Array(T);
      const attn = new Float64Array(nq * d);
      for (let t = 0; t < T; t++) {
        attn.fill(0);
        for (let j = 0; j < nq; j++) {
          const kv = Math.floor(j / group);
          let max = -Infinity;
          for (let s = 0; s <= t; s++) {
            let dot = 0;
            for (let i = 0; i < d; i++) dot += Q[(t * nq + j) * d + i] * K[(s * nkv + kv) * d + i];
            scores[s] = dot / Math.sqrt(d);
            if (scores[s] > max) max = scores[s];
          }
          let z = 0;
          for (let s = 0; s <= t; s++) z += (scores[s] = Math.exp(scores[s] - max));
          for (let s = 0; s <= t; s++) {
            const a = scores[s] / z;
            for (let i = 0; i < d; i++) attn[j * d + i] += a * Vv[(s * nkv + kv) * d + i];
          }
        }
        const o = matvec(Wo, H, nq * d, attn);
        const r1 = xs[t].map((x, i) => x + o[i]);
        const h2 = rms(r1, ln2);
        const gate = matvec(Wg, I, H, h2), up = matvec(Wu, I, H, h2);
        const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
        const down = matvec(Wd, H, I, act);
        xs[t] = r1.map((r, i) => r + down[i]);
      }
    }
    const head = c.tie_word_embeddings ? embed : this.W('lm_head.weight');
    const norm = this.W('model.norm.weight');
    return xs.map((x) => matvec(head, V, H, rms(x, norm)));
  }
}
