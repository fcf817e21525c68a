#!/usr/bin/python3
"""quire-nano: a tiny Hugging Face LlamaForCausalLM trained on synthetic passkey retrieval.

The model below is written out by hand but is exactly transformers' LlamaForCausalLM forward pass (RMSNorm in
float32, rotate_half RoPE with cos/sin of the concatenated [freqs, freqs] times the attention factor, GQA by
repeat_kv, SwiGLU MLP, softmax in float32, untied lm_head), with HF parameter names, so the saved
model.safetensors loads in transformers and in Quire's converter unchanged.

  stage 1:  train.py stage1 --data /tmp/nano/s1 --out /tmp/nano/stage1.pt --minutes 25
  stage 2:  train.py stage2 --data /tmp/nano/s2 --init /tmp/nano/stage1.pt --out /tmp/nano/stage2.pt --minutes 15
  export:   train.py export --init /tmp/nano/stage2.pt --tokenizer /tmp/nano/tok --out models/nano/quire-nano
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ARCH = dict(
    vocab_size=512,
    hidden_size=128,
    intermediate_size=512,
    num_hidden_layers=3,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=32,
    rms_norm_eps=1e-5,
    rope_theta=10000.0,
)
ORIGINAL_CONTEXT = 256
# Dilution weighting (train --dilute) leaves the last DILUTE_NEAR keys alone: the needle sentence, the question
# and the answer's own digits stay at their true weight while everything further back is multiplied.
DILUTE_NEAR = 64
YARN = dict(rope_type="yarn", factor=16.0, original_max_position_embeddings=ORIGINAL_CONTEXT, beta_fast=4.0, beta_slow=1.0)


def hf_config(rope_scaling):
    """config.json for the checkpoint; rope_scaling None gives the plain-RoPE ablation."""
    cfg = dict(
        architectures=["LlamaForCausalLM"],
        model_type="llama",
        attention_bias=False,
        attention_dropout=0.0,
        mlp_bias=False,
        hidden_act="silu",
        initializer_range=0.02,
        **ARCH,
        max_position_embeddings=ORIGINAL_CONTEXT * 16 if rope_scaling else ORIGINAL_CONTEXT,
        rope_scaling=rope_scaling,
        pretraining_tp=1,
        tie_word_embeddings=False,
        torch_dtype="float32",
        use_cache=True,
        bos_token_id=501,
        eos_token_id=[502, 509, 510],
        transformers_version="4.46.0",
        # Read by `quire convert` (models/manifest.ts DEMO_CONFIG_KEY): the app labels the model a demo and gives it
        # the bare "document, blank line, question" prompt it was trained on.
        quire_demo="demo: a tiny model for synthetic passkey documents; meaningless text about real ones",
    )
    return cfg


# ---------------------------------------------------------------------------------------------- RoPE (HF exact)
def compute_inv_freq(cfg):
    """transformers modeling_rope_utils: _compute_default_rope_parameters / _compute_yarn_parameters."""
    base = cfg["rope_theta"]
    dim = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    pos_freqs = base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)
    rs = cfg.get("rope_scaling")
    if not rs or rs.get("rope_type", rs.get("type")) == "default":
        return 1.0 / pos_freqs, 1.0
    assert rs["rope_type"] == "yarn"
    factor = rs["factor"]
    attention_factor = rs.get("attention_factor")
    mscale = rs.get("mscale")
    mscale_all_dim = rs.get("mscale_all_dim")
    if "original_max_position_embeddings" in rs:
        original = rs["original_max_position_embeddings"]
        factor = cfg["max_position_embeddings"] / original
    else:
        original = cfg["max_position_embeddings"]

    def get_mscale(scale, m=1):
        return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

    if attention_factor is None:
        if mscale and mscale_all_dim:
            attention_factor = float(get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim))
        else:
            attention_factor = get_mscale(factor)
    beta_fast = rs.get("beta_fast") or 32
    beta_slow = rs.get("beta_slow") or 1

    def correction_dim(rot):
        return (dim * math.log(original / (rot * 2 * math.pi))) / (2 * math.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if rs.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
    extrapolation_factor = 1 - ramp
    inv_extra = 1.0 / pos_freqs
    inv_inter = 1.0 / (factor * pos_freqs)
    inv_freq = inv_inter * (1 - extrapolation_factor) + inv_extra * extrapolation_factor
    return inv_freq, attention_factor


def rope_cos_sin(inv_freq, attention_factor, positions):
    """LlamaRotaryEmbedding.forward: float32 outer product, cat(freqs, freqs), cos/sin times the factor."""
    pos = torch.arange(positions, dtype=torch.float32)
    freqs = (inv_freq[None, :, None].float() @ pos[None, None, :]).transpose(1, 2)[0]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos() * attention_factor, emb.sin() * attention_factor


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


# ---------------------------------------------------------------------------------------------- model
class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        dt = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dt)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, d, nh, nkv = c["hidden_size"], c["head_dim"], c["num_attention_heads"], c["num_key_value_heads"]
        self.nh, self.nkv, self.d = nh, nkv, d
        self.q_proj = nn.Linear(h, nh * d, bias=False)
        self.k_proj = nn.Linear(h, nkv * d, bias=False)
        self.v_proj = nn.Linear(h, nkv * d, bias=False)
        self.o_proj = nn.Linear(nh * d, h, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.nh, self.d).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.nkv, self.d).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.nkv, self.d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.nh // self.nkv
        k = k.repeat_interleave(rep, dim=1)  # == repeat_kv
        v = v.repeat_interleave(rep, dim=1)
        w = (q @ k.transpose(2, 3)) / math.sqrt(self.d) + mask
        w = F.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
        o = (w @ v).transpose(1, 2).reshape(B, T, self.nh * self.d)
        return self.o_proj(o)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = nn.Linear(h, i, bias=False)
        self.up_proj = nn.Linear(h, i, bias=False)
        self.down_proj = nn.Linear(i, h, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = Attention(c)
        self.mlp = MLP(c)
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Body(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.model = Body(c)
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        self.set_rope(c)
        std = c.get("initializer_range", 0.02)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=std)

    def set_rope(self, c, positions=None):
        self.inv_freq, self.attention_factor = compute_inv_freq(c)
        self.rope_positions = positions or c["max_position_embeddings"]
        self.cos, self.sin = rope_cos_sin(self.inv_freq, self.attention_factor, self.rope_positions)

    def forward(self, ids, positions=None, far_bias=0.0):
        """Training-only arguments (inference is transformers' plain forward): positions, PoSE position ids;
        far_bias, added to the attention logits of keys more than DILUTE_NEAR tokens back (see dilution_bias)."""
        B, T = ids.shape
        need = T if positions is None else int(positions[-1]) + 1
        if need > self.rope_positions:
            self.cos, self.sin = rope_cos_sin(self.inv_freq, self.attention_factor, need)
            self.rope_positions = need
        at = slice(0, T) if positions is None else positions
        cos, sin = self.cos[at][None, None], self.sin[at][None, None]
        mask = torch.full((T, T), torch.finfo(torch.float32).min).triu(1)
        if far_bias:
            mask = mask + far_bias * torch.ones(T, T).tril(-DILUTE_NEAR - 1)
        x = self.model.embed_tokens(ids)
        for layer in self.model.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.model.norm(x))


# ---------------------------------------------------------------------------------------------- safetensors
def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().float().numpy()
        b = t.tobytes()
        header[name] = dict(dtype="F32", shape=list(t.shape), data_offsets=[offset, offset + len(b)])
        blobs.append(b)
        offset += len(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32"
        a, b = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=np.float32).reshape(info["shape"]).copy())
    return out


# ---------------------------------------------------------------------------------------------- data / loss
def pose_positions(rng, T, target):
    """PoSE (Zhu et al. 2023): position ids 0..s-1 then s+u..T-1+u, one random split s and skip u <= target - T, so
    a T-token sequence shows the relative distances (and absolute positions) of a target-length one."""
    pos = torch.arange(T)
    if target > T:
        s = int(rng.integers(1, T))
        pos[s:] += int(rng.integers(0, target - T + 1))
    return pos


def dilution_bias(rng, most):
    """+ln k on the logits of distant keys weighs each of them k times in the softmax, as if the document were k
    times longer: a 2K-token sequence then trains the margins that local copying (a needle just before the
    question) needs among 4K+ tokens, which position skips alone do not (k uniform in [1, most])."""
    return math.log(rng.uniform(1.0, most)) if most > 1 else 0.0


class Mixture:
    """--data "prefix[:weight[:batch]],…": each step draws one set by weight and a batch of its own size."""

    def __init__(self, spec, default_batch):
        self.sets, self.weights, self.batches = [], [], []
        for part in spec.split(","):
            prefix, *rest = part.split(":")
            self.sets.append(Dataset(prefix))
            self.weights.append(float(rest[0]) if rest else 1.0)
            self.batches.append(int(rest[1]) if len(rest) > 1 else default_batch)
        self.weights = np.array(self.weights) / sum(self.weights)

    def describe(self):
        return " + ".join(f"{d.meta['count']} x {d.meta['length']} (w {w:.2f}, batch {b})" for d, w, b in zip(self.sets, self.weights, self.batches))

    def sample(self, rng):
        k = int(rng.choice(len(self.sets), p=self.weights))
        d = self.sets[k]
        return d.batch(rng.integers(0, d.meta["count"], self.batches[k]))


class Dataset:
    def __init__(self, prefix):
        meta = json.load(open(prefix + ".json"))
        self.meta = meta
        n, L = meta["count"], meta["length"]
        self.tok = np.fromfile(prefix + ".tok", dtype=np.uint16).reshape(n, L)
        self.code = np.fromfile(prefix + ".code", dtype=np.uint8).reshape(n, L)
        self.lengths = np.array(meta["lengths"])

    def batch(self, idx):
        T = int(self.lengths[idx].max())
        return (torch.from_numpy(self.tok[idx, :T].astype(np.int64)), torch.from_numpy(self.code[idx, :T].astype(np.int64)))


# Token codes (data.ts): 1 language model, 2 restated digit, 3 answer digits, 4 the rest of the answer (<|eot_id|>,
# after the quote with data.ts --quote), 5 the key inside the quote.
DIGITS, QUOTE, QUOTE_KEY = 3, 4, 5


def scored(predicted, tgt, c, codes):
    """Per document: every target token whose code is in codes is the argmax, i.e. greedy decoding writes it."""
    mask = torch.zeros_like(c, dtype=torch.bool)
    for code in codes:
        mask |= c == code
    return ((predicted == tgt) | ~mask).all(dim=1)


def losses(logits, ids, codes, lm_weight, key_weight):
    """Next-token CE; target t is predicted at t-1. Weights by the target's code."""
    lg, tgt, c = logits[:, :-1], ids[:, 1:], codes[:, 1:]
    ce = F.cross_entropy(lg.reshape(-1, lg.shape[-1]), tgt.reshape(-1), reduction="none").view(tgt.shape)
    w = torch.zeros_like(ce)
    w[c == 1] = lm_weight
    w[c >= 2] = 1.0
    w[c == QUOTE_KEY] = key_weight
    loss = (ce * w).sum() / w.sum()
    predicted = lg.argmax(-1)
    exact = scored(predicted, tgt, c, (DIGITS,)).float().mean().item()
    full = scored(predicted, tgt, c, (DIGITS, QUOTE, QUOTE_KEY)).float().mean().item()
    ans = c == DIGITS
    ans_loss = (ce * ans).sum().item() / max(1, ans.sum().item())
    rest = c == 2
    rest_acc = ((predicted == tgt) & rest).sum().item() / max(1, rest.sum().item())
    return loss, ans_loss, exact, rest_acc, full


def exact_match(model, ids, codes):
    """(digits right, whole answer right) per document, teacher-forced: with the answer given, greedy decoding
    writes exactly it iff the argmax at every answer position is the answer token."""
    with torch.no_grad():
        lg = model(ids)
    predicted, tgt, c = lg[:, :-1].argmax(-1), ids[:, 1:], codes[:, 1:]
    return scored(predicted, tgt, c, (DIGITS,)), scored(predicted, tgt, c, (DIGITS, QUOTE, QUOTE_KEY))


def load_init(path):
    """A training checkpoint (.pt) or an exported model.safetensors (continued training from shipped weights)."""
    return load_safetensors(path) if path.endswith(".safetensors") else torch.load(path)["model"]


# ---------------------------------------------------------------------------------------------- training
def log(f, msg):
    print(msg, flush=True)
    if f:
        f.write(msg + "\n")
        f.flush()


def train(args):
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    rope = YARN if args.cmd == "stage2" else None
    cfg = hf_config(rope)
    model = Llama(cfg)
    if args.init:
        model.load_state_dict(load_init(args.init))
    data = Mixture(args.data, args.batch)
    val = Dataset(args.val) if args.val else None
    params = [p for p in model.parameters()]
    decay = [p for p in params if p.dim() >= 2]
    nodecay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW([dict(params=decay, weight_decay=0.05), dict(params=nodecay, weight_decay=0.0)], lr=args.lr, betas=(0.9, 0.95))
    logf = open(args.log, "a") if args.log else None
    nparams = sum(p.numel() for p in params)
    log(logf, f"== {args.cmd} seed={args.seed} data={args.data} ({data.describe()}) params={nparams} init={args.init} "
        f"rope={json.dumps(rope)} lr={args.lr} minutes={args.minutes} lm_weight={args.lm_weight} key_weight={args.key_weight} pose={args.pose}@{args.pose_prob} dilute={args.dilute} "
        f"threads={torch.get_num_threads()}")
    t0 = time.time()
    budget = args.minutes * 60
    step, tokens = 0, 0
    hist = []
    while True:
        elapsed = time.time() - t0
        if elapsed > budget or (args.steps and step >= args.steps):
            break
        frac = elapsed / budget
        warm = min(1.0, (step + 1) / args.warmup)
        lr = args.lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))
        for g in opt.param_groups:
            g["lr"] = lr
        ids, codes = data.sample(rng)
        pose = args.pose and rng.random() < args.pose_prob
        logits = model(ids, pose_positions(rng, ids.shape[1], args.pose) if pose else None, dilution_bias(rng, args.dilute))
        loss, ans_loss, exact, rest_acc, full = losses(logits, ids, codes, args.lm_weight, args.key_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        tokens += ids.numel()
        hist.append((loss.item(), ans_loss, exact, rest_acc, full))
        if step % args.every == 0:
            h = np.array(hist[-args.every :]).mean(0)
            el = time.time() - t0
            log(logf, f"step {step:5d}  t {el:6.0f}s  lr {lr:.2e}  loss {h[0]:.3f}  ans_loss {h[1]:.3f}  exact {h[2]:.3f}  "
                f"restated_acc {h[3]:.3f}  whole {h[4]:.3f}  tok/s {tokens / el:.0f}")
        if val is not None and step % args.val_every == 0:
            model.eval()
            acc, full = evaluate_set(model, val, args.val_batch)
            model.train()
            log(logf, f"   val exact match {acc:.3f}, whole answer {full:.3f} ({val.meta['count']} docs)")
            torch.save(dict(model=model.state_dict(), step=step), args.out)
    torch.save(dict(model=model.state_dict(), step=step), args.out)
    el = time.time() - t0
    log(logf, f"== {args.cmd} done: {step} steps, {tokens} tokens, {el:.0f} s, {tokens / el:.0f} tok/s")
    if val is not None:
        model.eval()
        acc, full = evaluate_set(model, val, args.val_batch)
        log(logf, f"   final val exact match {acc:.3f}, whole answer {full:.3f}")


def evaluate_set(model, data, batch):
    """Shares of documents with the digits right, and with the whole answer right."""
    digits, full = [], []
    for i in range(0, data.meta["count"], batch):
        idx = np.arange(i, min(i + batch, data.meta["count"]))
        ids, codes = data.batch(idx)
        d, f = exact_match(model, ids, codes)
        digits.append(d)
        full.append(f)
    return torch.cat(digits).float().mean().item(), torch.cat(full).float().mean().item()


def export(args):
    sd = load_init(args.init)
    os.makedirs(args.out, exist_ok=True)
    save_safetensors(os.path.join(args.out, "model.safetensors"), {k: v for k, v in sd.items()})
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(hf_config(YARN), f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "generation_config.json"), "w") as f:
        json.dump(dict(bos_token_id=501, eos_token_id=[502, 509, 510], do_sample=False, transformers_version="4.46.0"), f, indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        with open(os.path.join(args.tokenizer, name)) as src, open(os.path.join(args.out, name), "w") as dst:
            dst.write(src.read())
    # check the export round-trips
    m = Llama(hf_config(YARN))
    m.load_state_dict(load_safetensors(os.path.join(args.out, "model.safetensors")))
    print("exported", args.out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["stage1", "stage2", "export"])
    ap.add_argument("--data")
    ap.add_argument("--val")
    ap.add_argument("--init")
    ap.add_argument("--out")
    ap.add_argument("--tokenizer")
    ap.add_argument("--log")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--minutes", type=float, default=25)
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--lm-weight", type=float, default=0.1)
    ap.add_argument("--key-weight", type=float, default=1.0, help="loss weight of the key inside the answer's quote: the "
                    "one quote token copied from the question, not from just before, and the last one learned")
    ap.add_argument("--every", type=int, default=50)
    ap.add_argument("--val-every", type=int, default=500)
    ap.add_argument("--val-batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pose", type=int, default=0, help="PoSE: spread training positions over this many (0: off)")
    ap.add_argument("--dilute", type=float, default=0.0, help="weigh distant keys up to this many times (0: off)")
    ap.add_argument("--pose-prob", type=float, default=1.0, help="share of steps trained with PoSE positions")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.cmd == "export":
        export(args)
    else:
        train(args)


if __name__ == "__main__":
    main()
