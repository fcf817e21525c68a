#!/usr/bin/python3
"""Compare this recipe's HF-exact RoPE (train.py) with the project's TypeScript tables (`quire inspect rope`).

  /usr/bin/python3 models/nano/check_rope.py models/nano/quire-nano/config.json
Prints the largest differences of inv_freq, attention factor and cos/sin at positions up to 4095, for the
config as given (YaRN) and with rope_scaling removed (plain RoPE)."""
import json, os, subprocess, sys, tempfile
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import compute_inv_freq, rope_cos_sin

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POSITIONS = [0, 1, 2, 17, 255, 256, 1000, 2047, 3000, 4095]


def compare(cfg, label):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cfg, f)
    out = subprocess.run([os.path.join(ROOT, "node_modules/.bin/node"), os.path.join(ROOT, "bin/quire.mjs"), "inspect", "rope",
                          "--config", f.name, "--context", "4096", "--positions", ",".join(map(str, POSITIONS)), "--json"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    ts = json.loads(out.stdout)
    inv, att = compute_inv_freq(cfg)
    cos, sin = rope_cos_sin(inv, att, max(POSITIONS) + 1)
    half = inv.shape[0]
    d_inv = (torch.tensor(ts["inv_freq"], dtype=torch.float64) - inv.double()).abs().max().item()
    d_cos = (torch.tensor(ts["cos"], dtype=torch.float64) - cos[POSITIONS, :half].double()).abs().max().item()
    d_sin = (torch.tensor(ts["sin"], dtype=torch.float64) - sin[POSITIONS, :half].double()).abs().max().item()
    print(f"{label}: rope_type={ts['rope_type']} attention_factor py={att!r} ts={ts['attention_factor']!r}  "
          f"max|d inv_freq|={d_inv:.3g}  max|d cos|={d_cos:.3g}  max|d sin|={d_sin:.3g}")
    return max(d_inv, d_cos, d_sin, abs(att - ts["attention_factor"]))


cfg = json.load(open(sys.argv[1]))
worst = compare(cfg, "yarn ")
plain = dict(cfg, rope_scaling=None, max_position_embeddings=cfg["rope_scaling"]["original_max_position_embeddings"])
worst = max(worst, compare(plain, "plain"))
sys.exit(0 if worst < 1e-6 else 1)
