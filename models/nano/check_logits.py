#!/usr/bin/python3
"""Compare train.py's logits (HF-exact PyTorch) with the converted ONNX model run by Quire's engine.

  /usr/bin/python3 models/nano/check_logits.py <hf-dir> <converted-dir> <niah-set-prefix> [index] [--plain-ok]
Feeds the prompt of one NIAH document (up to the assistant header) to both and prints the max |difference| of
the last-position logits and whether both pick the same next token."""
import json, os, subprocess, sys
import numpy as np
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import Dataset, Llama, load_safetensors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
hf, onnx, prefix = sys.argv[1:4]
index = int(sys.argv[4]) if len(sys.argv) > 4 else 0
torch.set_num_threads(1)
cfg = json.load(open(os.path.join(hf, "config.json")))
model = Llama(cfg)
model.load_state_dict(load_safetensors(os.path.join(hf, "model.safetensors")))
model.eval()
data = Dataset(prefix)
L = int(data.lengths[index])
a0 = int(np.where(data.code[index, :L] == 3)[0][0])
ids = data.tok[index, :a0].astype(np.int64)
with torch.no_grad():
    py = model(torch.from_numpy(ids)[None])[0, -1].double().numpy()
out = subprocess.run([os.path.join(ROOT, "node_modules/.bin/node"), os.path.join(ROOT, "bin/quire.mjs"), "inspect", "logits",
                      "--model", onnx, "--ids", ",".join(map(str, ids)), "--context", str(max(4096, a0)), "--json"],
                     capture_output=True, text=True, cwd=ROOT)
if out.returncode != 0:
    sys.exit(out.stderr or out.stdout)
res = json.loads(out.stdout)
ts = np.array(res["logits"] if "logits" in res else res["last"], dtype=np.float64).reshape(-1)[-py.shape[0]:]
print(f"prompt {a0} tokens: max|d logit| = {np.abs(ts - py).max():.3g} (logit range {py.min():.2f}..{py.max():.2f}); "
      f"argmax py {py.argmax()} ts {ts.argmax()} answer {data.tok[index, a0]}")
