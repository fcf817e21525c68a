#!/usr/bin/python3
"""NIAH passkey evaluation of quire-nano in Python (the reference the TypeScript engine must reproduce).

  eval.py --model models/nano/quire-nano --sets /tmp/nano/niah256,/tmp/nano/niah1024,... [--plain] [--md out.md]

Each set comes from `data.ts niah` (one needle "The passkey of <name> is <5 digits>." at a depth percent of
generated filler; question "What is the passkey of <name>?" as the user turn of the Llama-3.1 chat template).
Scoring is exact match of greedy decoding: with the answer teacher-forced, greedy output starts with the digits
iff the argmax at every digit position is the digit (accuracy), and is exactly the whole answer iff it is at every
answer position (whole: '<digits>: "The passkey of <name> is <digits>."<|eot_id|>' for sets made with
`data.ts … --quote`, "<digits><|eot_id|>" otherwise), so one forward pass per document decides both. --plain drops rope_scaling (plain RoPE, the ablation); --init reads a training checkpoint.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import ARCH, ORIGINAL_CONTEXT, YARN, Dataset, Llama, exact_match, hf_config, load_safetensors  # noqa: E402


def load(args):
    if args.model:
        cfg = json.load(open(os.path.join(args.model, "config.json")))
        state = load_safetensors(os.path.join(args.model, "model.safetensors"))
    else:
        cfg = hf_config(YARN)
        state = torch.load(args.init)["model"]
    if args.plain:
        cfg = dict(cfg, rope_scaling=None)
    model = Llama(cfg)
    model.load_state_dict(state)
    model.eval()
    return model, cfg


def run(model, prefix, batch):
    data = Dataset(prefix)
    cells = data.meta["cells"]
    digits, full = [], []
    for i in range(0, data.meta["count"], batch):
        idx = np.arange(i, min(i + batch, data.meta["count"]))
        ids, codes = data.batch(idx)
        d, f = exact_match(model, ids, codes)
        digits.append(d)
        full.append(f)
    table = {}
    for c, d, f in zip(cells, torch.cat(digits).tolist(), torch.cat(full).tolist()):
        table.setdefault((c["length"], c["depth"]), []).append((d, f))
    return table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model")
    ap.add_argument("--init")
    ap.add_argument("--sets", required=True)
    ap.add_argument("--plain", action="store_true")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, cfg = load(args)
    label = "plain RoPE (rope_scaling removed)" if args.plain else f"rope_scaling={json.dumps(cfg.get('rope_scaling'))}"
    print(f"# {args.model or args.init}: {label}", flush=True)
    cells = []
    for prefix in args.sets.split(","):
        t0 = time.time()
        table = run(model, prefix, args.batch)
        for (length, depth), h in sorted(table.items()):
            digits, full = sum(d for d, _ in h), sum(f for _, f in h)
            cells.append(dict(length=length, depth=depth, accuracy=digits / len(h), whole=full / len(h), samples=len(h)))
            print(f"length {length:5d} depth {depth:3d}: {digits}/{len(h)} digits, {full}/{len(h)} whole answer", flush=True)
        print(f"  ({time.time() - t0:.0f} s)", flush=True)
    mean = sum(c["accuracy"] for c in cells) / len(cells)
    mean_whole = sum(c["whole"] for c in cells) / len(cells)
    print(f"mean {mean:.3f}, whole answer {mean_whole:.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(label=label, cells=cells, mean=mean, mean_whole=mean_whole), f, indent=1)


if __name__ == "__main__":
    main()
