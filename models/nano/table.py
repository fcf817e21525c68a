#!/usr/bin/python3
"""eval.py --json outputs → markdown tables (rows: length, columns: depth %)."""
import json, sys

for path in sys.argv[1:]:
    r = json.load(open(path))
    depths = sorted({c["depth"] for c in r["cells"]})
    lengths = sorted({c["length"] for c in r["cells"]})
    acc = {(c["length"], c["depth"]): c for c in r["cells"]}
    for key, what in (("accuracy", "exact match of the digits"), ("whole", "exact match of the whole answer")):
        print(f"**{r['label']}** ({what}, {r['cells'][0]['samples']} documents per cell)\n")
        print("| length \\ depth | " + " | ".join(f"{d}%" for d in depths) + " | mean |")
        print("|---|" + "---|" * (len(depths) + 1))
        for L in lengths:
            row = [acc[(L, d)][key] for d in depths]
            print(f"| {L} | " + " | ".join(f"{a * 100:.0f}%" for a in row) + f" | {sum(row) / len(row) * 100:.1f}% |")
        print()
