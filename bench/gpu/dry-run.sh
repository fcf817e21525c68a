#!/usr/bin/env bash
# The GPU kit's dry run on a machine without a GPU: packs the kit (pack.sh: within the limits), copies what a
# device call would carry (tracked and untracked-not-ignored files plus bench/gpu/.kit) into a temporary folder
# with no node_modules, runs run.sh --dry there in a clean environment (env -i PATH=/usr/bin:/bin) on the packed
# Node — conformance and bench on cpu and on WebGPU through SwiftShader (Debian's chromium package) with tiny
# sizes, the PyTorch peer where torch is installed — and checks what would come back from $OUT.
#   [PYTHON=…] bash bench/gpu/dry-run.sh [--keep]   (a few minutes; --keep leaves the temporary folder)
set -euo pipefail
cd "$(dirname "$0")/../.."
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1
fail() { echo "dry-run: FAIL: $*" >&2; exit 1; }

echo "== pack"
bash bench/gpu/pack.sh

T=$(mktemp -d /tmp/quire-gpu-dry.XXXXXX)
[ "$KEEP" = 1 ] || trap 'rm -rf "$T"' EXIT
echo "== staging what a device call carries into $T/repo"
mkdir -p "$T/repo" "$T/out" "$T/home"
git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -cf - -T - 2>/dev/null | tar -xf - -C "$T/repo"
cp -a bench/gpu/.kit "$T/repo/bench/gpu/.kit"
[ ! -e "$T/repo/node_modules" ] || fail "node_modules would travel"
echo "staged: $(du -sh "$T/repo" | cut -f1)"

echo "== run.sh --dry in a clean environment"
start=$(date +%s)
# PYTHON=/path/to/python (one with torch and transformers) exercises the PyTorch peer on the CPU too.
env -i PATH=/usr/bin:/bin HOME="$T/home" OUT="$T/out" ${PYTHON:+PYTHON="$PYTHON"} bash "$T/repo/bench/gpu/run.sh" --dry --work "$T/work" --budget 600 || fail "run.sh exited $?"
echo "run.sh --dry took $(($(date +%s) - start)) s"

echo "== checking \$OUT"
n=$(find "$T/out" -type f | wc -l)
[ "$n" -le 8 ] || fail "$n files in \$OUT; at most 8 come back"
find "$T/out" -type f | while read -r f; do
  [ "$(stat -c %s "$f")" -le $((16 * 1024 * 1024)) ] || fail "$f is over 16 MiB"
  basename "$f" | grep -qE '^[A-Za-z0-9._-]+$' || fail "$f has a name that would not come back"
done
for f in run.log gpu-report.json summary.md gpu-bench.png conformance.json conformance-suite.json bench.json peer.json; do [ -s "$T/out/$f" ] || fail "\$OUT/$f missing"; done
NODE=node_modules/node/bin/node
"$NODE" -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const must = (ok, what) => { if (!ok) { console.error("dry-run: FAIL: " + what); process.exit(1); } };
  must(r.conformance?.summary?.checks > 0, "conformance ran no checks");
  must(r.conformanceSuite?.numTotalTests > 0, "the test/conformance suite ran no tests");
  console.log("conformance suite: " + r.conformanceSuite.numPassedTests + "/" + r.conformanceSuite.numTotalTests + " tests pass");
  const cpuConf = r.conformance.rows.filter((x) => x.provider === "cpu" && x.pass !== null);
  must(cpuConf.length > 0 && cpuConf.every((x) => x.pass), "conformance on cpu did not pass");
  const cpu = r.bench?.results?.find((x) => x.provider === "cpu");
  must(cpu && cpu.rows.length && cpu.rows.every((x) => x.prefillTps > 0 && x.decodeTps > 0 && x.ttftCache > 0 && x.ttftSnapshot > 0), "bench on cpu has missing figures");
  must(r.peer && (r.peer.error || r.peer.contexts?.length), "peer.json says nothing");
  const webgpu = r.bench.results.find((x) => x.provider === "webgpu");
  console.log("conformance: " + r.conformance.summary.verdict + " (" + (r.conformance.summary.checks - r.conformance.summary.failed) + "/" + r.conformance.summary.checks + ") on " + r.conformance.summary.providers.join(","));
  for (const p of r.conformance.summary.providers) {
    const rows = r.conformance.rows.filter((x) => x.provider === p && x.pass !== null);
    const bad = rows.filter((x) => !x.pass);
    console.log("  " + p + ": " + (rows.length - bad.length) + "/" + rows.length + " pass" + (bad.length ? "; failing e.g. " + bad.slice(0, 3).map((x) => x.check + (x.length ? " L=" + x.length : "") + (x.chunk ? " c=" + x.chunk : "") + (x.error ? " (" + x.error + ")" : "")).join(", ") : ""));
  }
  for (const b of r.bench.results) console.log("bench " + b.provider + ": " + (b.error ?? b.rows.map((x) => x.context + ": prefill " + (x.prefillTps ?? 0).toFixed(0) + " tok/s, decode " + (x.decodeTps ?? 0).toFixed(1) + " tok/s" + (x.errors.length ? " [" + x.errors.join("; ") + "]" : "")).join("; ")));
  console.log("peer: " + (r.peer.error ?? "ran"));
  console.log("webgpu (SwiftShader): " + (!webgpu ? "not run (no adapter)" : webgpu.error ? "bench failed: " + webgpu.error : "benchmarked"));
' "$T/out/gpu-report.json" || fail "report checks"
ls -la "$T/out"
[ "$KEEP" = 1 ] && echo "kept: $T"
echo "dry-run: ok"
