// An independent float64 forward pass of a Llama checkpoint (its own safetensors parse, RoPE with YaRN and
// llama3 scaling, RMSNorm, grouped-query attention, SwiGLU): the reference converted models' logits are
// checked against.
import { readFileSync } from 'node:fs';

export type Weights = Map<string, { shape: number[]; data: Float64Array }>;

export function readF32Safetensors(path: string): Weights {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString()) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out: Weights = new Map();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const bytes = buf.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]);
    const f = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    out.set(name, { shape: t.shape, data: Float64Array.from(f) });
  }
  return out;
}

export type Config = Record<string, any>;

function referenceInvFreq(c: Config): number[] {
  const d = c.head_dim as number;
  const b = c.rope_theta as number;
  const r = c.rope_scaling;
  return Array.from({ length: d / 2 }, (_, i) => {
    const f = b ** (-(2 * i) / d);
    if (r.rope_type === 'yarn') {
      const dimOf = (rot: number) => (d * Math.log(r.original_max_position_embeddings / (2 * Math.PI * rot))) / (2 * Math.log(b));
      const lo = Math.max(0, Math.floor(dimOf(r.beta_fast)));
      const hi = Math.min(d - 1, Math.ceil(dimOf(r.beta_slow)));
      const gamma = Math.min(1, Math.max(0, (i - lo) / (hi === lo ? 0.001 : hi - lo)));
      return f * (1 - gamma) + (f / r.factor) * gamma;
    }
    const wl = (2 * Math.PI) / f;
    const L = r.original_max_position_embeddings;
    if (wl < L / r.high_freq_factor) return f;
    if (wl > L / r.low_freq_factor) return f / r.factor;
    const sm = (L / wl - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
    return (1 - sm) * (f / r.factor) + sm * f;
  });
}

export function referenceLogits(c: Config, w: Weights, ids: number[]): number[][] {
  const H = c.hidden_size, d = c.head_dim, nq = c.num_attention_heads, nkv = c.num_key_value_heads, V = c.vocab_size;
  const T = ids.length;
  const m = c.rope_scaling.rope_type === 'yarn' ? 0.1 * Math.log(c.rope_scaling.factor) + 1 : 1;
  const invFreq = referenceInvFreq(c);
  const W = (name: string) => w.get(name)!.data;
  const matvec = (M: Float64Array, rows: number, cols: number, x: number[]) => Array.from({ length: rows }, (_, r) => {
    let s = 0;
    for (let k = 0; k < cols; k++) s += M[r * cols + k] * x[k];
    return s;
  });
  const rms = (x: number[], g: Float64Array) => {
    const inv = 1 / Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length + c.rms_norm_eps);
    return x.map((v, i) => v * inv * g[i]);
  };
  const rope = (v: number[], pos: number) => {
    const out = v.slice();
    for (let i = 0; i < d / 2; i++) {
      const cos = Math.cos(pos * invFreq[i]) * m, sin = Math.sin(pos * invFreq[i]) * m;
      out[i] = v[i] * cos - v[i + d / 2] * sin;
      out[i + d / 2] = v[i + d / 2] * cos + v[i] * sin;
    }
    return out;
  };
  let xs = ids.map((id) => Array.from(W('model.embed_tokens.weight').subarray(id * H, (id + 1) * H)));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const hs = xs.map((x) => rms(x, W(`${p}.input_layernorm.weight`)));
    const q = hs.map((h, t) => { const v = matvec(W(`${p}.self_attn.q_proj.weight`), nq * d, H, h); return Array.from({ length: nq }, (_, j) => rope(v.slice(j * d, (j + 1) * d), t)); });
    const k = hs.map((h, t) => { const v = matvec(W(`${p}.self_attn.k_proj.weight`), nkv * d, H, h); return Array.from({ length: nkv }, (_, j) => rope(v.slice(j * d, (j + 1) * d), t)); });
    const v = hs.map((h) => { const u = matvec(W(`${p}.self_attn.v_proj.weight`), nkv * d, H, h); return Array.from({ length: nkv }, (_, j) => u.slice(j * d, (j + 1) * d)); });
    xs = xs.map((x, t) => {
      const attn: number[] = [];
      for (let j = 0; j < nq; j++) {
        const kv = Math.floor(j / (nq / nkv));
        const scores = Array.from({ length: t + 1 }, (_, s) => q[t][j].reduce((a, qi, i) => a + qi * k[s][kv][i], 0) / Math.sqrt(d));
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, b) => a + b, 0);
        for (let i = 0; i < d; i++) attn.push(e.reduce((a, es, s) => a + (es / z) * v[s][kv][i], 0));
      }
      const o = matvec(W(`${p}.self_attn.o_proj.weight`), H, nq * d, attn);
      const r1 = x.map((xi, i) => xi + o[i]);
      const h2 = rms(r1, W(`${p}.post_attention_layernorm.weight`));
      const I = c.intermediate_size;
      const gate = matvec(W(`${p}.mlp.gate_proj.weight`), I, H, h2);
      const up = matvec(W(`${p}.mlp.up_proj.weight`), I, H, h2);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
      const down = matvec(W(`${p}.mlp.down_proj.weight`), H, I, act);
      return r1.map((ri, i) => ri + down[i]);
    });
  }
  const head = c.tie_word_embeddings ? W('model.embed_tokens.weight') : W('lm_head.weight');
  return xs.map((x) => matvec(head, V, H, rms(x, W('model.norm.weight'))));
}

export function cosine(a: number[], b: number[]): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb);
}

// Every tensor of a float32 checkpoint folder, single file or sharded with model.safetensors.index.json.
export function readCheckpointWeights(dir: string): Weights {
  let files = ['model.safetensors'];
  try {
    const index = JSON.parse(readFileSync(`${dir}/model.safetensors.index.json`, 'utf8')) as { weight_map: Record<string, string> };
    files = [...new Set(Object.values(index.weight_map))];
  } catch {
    // not sharded
  }
  const weights: Weights = new Map();
  for (const f of files) for (const [k, v] of readF32Safetensors(`${dir}/${f}`)) weights.set(k, v);
  return weights;
}
