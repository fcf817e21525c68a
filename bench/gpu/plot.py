"""The GPU kit's plot with matplotlib: prefill and decode tokens/s per context (Quire's providers and PyTorch,
measured layers solid, 32-layer estimates dashed), time to first token of a follow-up, and peak device memory
against the memory planner. Exits 3 without matplotlib so run.sh falls back to report.ts's PNG writer.
    python3 bench/gpu/plot.py gpu-report.json plot.png
"""
import json
import sys


def main() -> int:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot: matplotlib not installed here")
        return 3
    report = json.load(open(sys.argv[1]))
    bench, peer = report.get("bench"), report.get("peer") or {}
    if not bench:
        print("plot: no bench results")
        return 1
    L, T = bench["shape"]["layers"], bench["shape"]["targetLayers"]
    fig, ax = plt.subplots(2, 2, figsize=(13, 9))
    (a_pre, a_dec), (a_ttft, a_mem) = ax
    colors = ["tab:blue", "tab:red", "tab:green", "tab:orange"]

    def line(a, xs, ys, **kw):
        pts = [(x, y) for x, y in zip(xs, ys) if isinstance(y, (int, float)) and y > 0]
        if pts:
            # Measured points are dots; the 32-layer estimates (dashed) crosses.
            a.plot([p[0] for p in pts], [p[1] for p in pts], marker="x" if kw.get("ls") == "--" else "o", **kw)

    for i, r in enumerate(bench["results"]):
        c, name = colors[i % 4], f"Quire {r['provider']}"
        xs = [row["context"] for row in r["rows"]]
        scaled = (r.get("scaled") or {}).get("rows") or [{} for _ in xs]
        line(a_pre, xs, [row.get("prefillTps") for row in r["rows"]], color=c, label=f"{name} ({L} layers)")
        line(a_pre, xs, [s.get("prefillTps") for s in scaled], color=c, ls="--", label=f"{name} (32 layers, est.)")
        line(a_dec, xs, [row.get("decodeTps") for row in r["rows"]], color=c, label=f"{name} ({L} layers)")
        line(a_dec, xs, [s.get("decodeTps") for s in scaled], color=c, ls="--", label=f"{name} (32 layers, est.)")
        line(a_ttft, xs, [row.get("ttftCache") for row in r["rows"]], color=c, label=f"{name}: from cache")
        line(a_ttft, xs, [row.get("ttftSnapshot") for row in r["rows"]], color=c, ls=":", label=f"{name}: from snapshot")
        line(a_mem, xs, [row.get("peakMiB") for row in r["rows"]], color=c, label=f"{name}: measured peak (nvidia-smi)")
        line(a_mem, xs, [row.get("plannedMiB") for row in r["rows"]], color=c, ls="--", label=f"{name}: planFit")
    if peer.get("contexts"):
        c = "black"
        xs = [row["context"] for row in peer["contexts"]]
        line(a_pre, xs, [row.get("prefillTps") for row in peer["contexts"]], color=c, label=f"PyTorch bf16 sdpa ({L} layers)")
        line(a_pre, xs, [row.get("prefillTps") and row["prefillTps"] * L / T for row in peer["contexts"]], color=c, ls="--", label="PyTorch (32 layers, est.)")
        line(a_dec, xs, [row.get("decodeTps") for row in peer["contexts"]], color=c, label=f"PyTorch bf16 sdpa ({L} layers)")
        line(a_ttft, xs, [row.get("ttftCache") for row in peer["contexts"]], color=c, label="PyTorch: from cache")
        line(a_mem, xs, [row.get("peakMiB") for row in peer["contexts"]], color=c, label="PyTorch: max_memory_allocated")
    for a, title, unit in ((a_pre, "prefill", "tokens/s"), (a_dec, "decode", "tokens/s"), (a_ttft, "follow-up time to first token", "s"), (a_mem, "device memory", "MiB")):
        a.set_xscale("log", base=2)
        a.set_yscale("log")
        a.set_title(title)
        a.set_xlabel("context (tokens)")
        a.set_ylabel(unit)
        a.grid(True, which="both", alpha=0.3)
        if a.lines:
            a.legend(fontsize=7)
    s = bench["shape"]
    env = report.get("environment") or {}
    fig.suptitle(
        f"Quire GPU kit on {env.get('gpu', 'unknown GPU')}: 8B-shaped random model (hidden {s['hiddenSize']}, {s['heads']}/{s['kvHeads']} heads, FFN {s['intermediateSize']}, "
        f"vocab {s['vocabSize']}), {L} of 32 layers, {s['precision']} weights, {s['kvDtype']} KV",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
    print(f"plot (matplotlib): {sys.argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
