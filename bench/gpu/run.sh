#!/usr/bin/env bash
# The GPU kit, run on the device machine in ONE call (no Node, no network there): unpacks bench/gpu/.kit
# (pack.sh), sets up the Vulkan loader for the NVIDIA driver, then
#   (a) the provider-conformance runner (conformance.ts) on WebGPU/Vulkan (and CUDA where packed),
#   (b) the engine bench (bench.ts) on an 8B-shaped random model generated and converted there,
#   (c) PyTorch/transformers on the same checkpoint as peer and numerical reference (peer.py),
# and writes run.log, gpu-report.json, summary.md, gpu-bench.png and the parts' JSON under $OUT.
# Every stage has its own time budget and is stopped at its limit; what it finished is kept.
#   bash bench/gpu/run.sh [--dry] [--providers webgpu,cuda] [--stages a,b,c] [--budget 420] [--work /tmp/quire-gpu]
#   --dry: tiny sizes and --providers cpu,webgpu on SwiftShader, for bench/gpu/dry-run.sh on a machine without a GPU.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
KIT=$REPO/bench/gpu/.kit
DRY=0
PROVIDERS=""
BUDGET=420
STAGES=a,b,c
WORK=/tmp/quire-gpu
while [ $# -gt 0 ]; do
  case "$1" in
    --dry) DRY=1 ;;
    --providers) PROVIDERS=$2; shift ;;
    --budget) BUDGET=$2; shift ;;
    --stages) STAGES=$2; shift ;;
    --work) WORK=$2; shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
OUT=${OUT:-$REPO/bench/out/gpu}
mkdir -p "$OUT" "$WORK"
# Everything below goes to the terminal and to $OUT/run.log; the pipe ends before the script does.
main() {
T0=$(date +%s)
left() { echo $((BUDGET - ($(date +%s) - T0))); }
stage() { echo; echo "== $* (at $(($(date +%s) - T0)) s, $(left) s left)"; }
# A stage's limit: what it asks for, never past the whole budget less a reserve for what must follow.
limit() { local want=$1 reserve=$2 l; l=$(($(left) - reserve)); [ "$l" -lt "$want" ] && want=$l; [ "$want" -lt 5 ] && want=5; echo "$want"; }
export PYTHONUNBUFFERED=1
# The Python with torch: the device image's python3, or PYTHON=… for a dry run with a local torch.
PY=${PYTHON:-python3}
# ldconfig lives in sbin, which a clean environment leaves off the PATH.
export PATH=$PATH:/usr/sbin:/sbin
# Provider-check verdicts and any other app data stay in the work folder.
export QUIRE_DATA_DIR=$WORK/data

stage "kit"
[ -f "$KIT/kit.json" ] || { echo "run.sh: $KIT/kit.json missing: run bash bench/gpu/pack.sh before the device call and carry bench/gpu/.kit"; exit 1; }
cat "$KIT/kit.json"
echo "host: $(uname -srm); $(nproc) CPUs; $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo); dry=$DRY"

stage "unpack into $WORK"
rm -rf "$WORK/app" "$WORK/bin"
mkdir -p "$WORK/app" "$WORK/bin"
# xz where it is installed, else Python's lzma (the device image's python3 has it).
if command -v xz >/dev/null 2>&1; then
  xz -dc "$KIT/node.xz" >"$WORK/bin/node"
  xz -dc "$KIT/runtime.tar.xz" | tar -xf - -C "$WORK/app"
else
  echo "no xz here: unpacking with python3's lzma"
  python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$KIT/node.xz" "$WORK/bin/node"
  python3 -c 'import tarfile, sys; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$KIT/runtime.tar.xz" "$WORK/app"
fi
chmod +x "$WORK/bin/node"
# The project's sources come from the working tree the call carried (always the current ones); node_modules and
# the addon from the kit. package.json makes the .ts files ES modules.
for p in package.json bin electron models bench; do cp -a "$REPO/$p" "$WORK/app/"; done
mkdir -p "$WORK/app/test" && [ -d "$REPO/test/conformance" ] && cp -a "$REPO/test/conformance" "$WORK/app/test/"
rm -rf "$WORK/app/bench/gpu/.kit" "$WORK/app/bench/out" "$WORK/app/models/nano/quire-nano"
NODE=$WORK/bin/node
"$NODE" --version || { echo "run.sh: the packed node does not run here"; exit 1; }
# The addon was built against this packing machine's libstdc++ (GLIBCXX_3.4.29+): bring it where the system's is older.
need=$(grep -ao 'GLIBCXX_3\.4\.[0-9]*' "$WORK/app/native/build/Release/quire_ort.node" 2>/dev/null | sort -t. -k3 -n | tail -1)
sys=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
if [ -n "$need" ] && { [ -z "$sys" ] || ! grep -aq "$need" "$sys"; }; then
  echo "system libstdc++ (${sys:-none}) lacks $need: using the kit's"
  export LD_LIBRARY_PATH=$WORK/app/fallback-libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
else echo "libstdc++: the system's ($sys) has ${need:-what the addon needs}"; fi
sha=$(find "$REPO/native/src" "$REPO/native/binding.gyp" -type f 2>/dev/null | sort | xargs cat | sha256sum | cut -c1-16)
grep -q "\"addonSourceSha\": \"$sha\"" "$KIT/kit.json" || echo "WARNING: native/src changed since the kit was packed: the carried addon may be stale (re-run pack.sh)"
du -sh "$WORK/app/node_modules" "$WORK/bin/node" | sed 's/^/  /'
cd "$WORK/app"
ORT_DIR=node_modules/onnxruntime-node/bin/napi-v6/linux/x64

stage "GPU and Vulkan"
GPU="none"; DRIVER=""
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv | tee "$WORK/nvidia-smi.txt"
  GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
  DRIVER=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1)
else echo "no nvidia-smi: no NVIDIA GPU here"; fi
VULKAN=""
if [ "$DRY" = 1 ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; then
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json VK_DRIVER_FILES=/usr/lib/chromium/vk_swiftshader_icd.json
  VULKAN="SwiftShader ICD (dry run)"
else
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/share/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$f" ]; then export VK_ICD_FILENAMES=$f VK_DRIVER_FILES=$f; VULKAN="NVIDIA ICD $f"; echo "ICD $f:"; cat "$f"; break; fi
  done
  [ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && export LD_LIBRARY_PATH=$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}; done
  [ -z "$VULKAN" ] && echo "no NVIDIA Vulkan ICD json found"
fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-quire}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# The loader: the system's if it has one, else Debian's from the kit, unpacked beside the app (not into /).
if ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  echo "Vulkan loader: the system's"
else
  mkdir -p "$WORK/gl"
  for f in "$KIT"/debs/*.deb; do dpkg -x "$f" "$WORK/gl"; done
  export LD_LIBRARY_PATH=$WORK/gl/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  echo "Vulkan loader: $(ls "$WORK"/gl/usr/lib/x86_64-linux-gnu/libvulkan.so.1.* | xargs -n1 basename) from the kit"
fi
VULKAN="$VULKAN; loader $(ls "$WORK"/gl/usr/lib/x86_64-linux-gnu/libvulkan.so.1.* 2>/dev/null | xargs -r -n1 basename)"

# A probe model and one WebGPU step: says early whether Dawn finds an adapter. On the device, where it does not
# with the private loader, fall back to the device README's way (unpack the debs into / and ldconfig).
"$NODE" --input-type=module -e "
  const { writeTinyCheckpoint } = await import('./models/tiny-checkpoint.ts');
  const { convertCheckpoint } = await import('./models/convert.ts');
  await writeTinyCheckpoint('$WORK/probe/hf', { seed: 3 });
  await convertCheckpoint('$WORK/probe/hf', '$WORK/probe/model', { precision: 'fp32' });
" || echo "probe model: FAILED"
probe() { timeout 120 "$NODE" bin/quire.mjs generate --model "$WORK/probe/model" --ids 1,2,3,4,5 --greedy --max-new-tokens 2 --provider "$1" --json 2>&1 | grep -v VerifyEachNodeIsAssignedToAnEp | tail -4; }
WEBGPU_OK=0
echo "probe cpu: $(probe cpu)"
p=$(probe webgpu); echo "probe webgpu: $p"
if echo "$p" | grep -q '"tokens"'; then WEBGPU_OK=1
elif [ "$DRY" = 0 ] && [ "$(id -u)" = 0 ] && [ -n "$GPU" ] && [ "$GPU" != none ]; then
  echo "retrying with the loaders unpacked into / (device README)"
  for f in "$KIT"/debs/*.deb; do dpkg -x "$f" /; done; ldconfig
  p=$(probe webgpu); echo "probe webgpu: $p"
  echo "$p" | grep -q '"tokens"' && WEBGPU_OK=1 && VULKAN="$VULKAN (unpacked into /)"
fi
if [ "$WEBGPU_OK" = 0 ]; then
  echo "WebGPU probe failed; the Vulkan loader's own account:"
  VK_LOADER_DEBUG=error,warn,driver timeout 60 "$NODE" bin/quire.mjs generate --model "$WORK/probe/model" --ids 1,2,3 --greedy --max-new-tokens 1 --provider webgpu --json 2>&1 | tail -25
fi
CUDA_OK=0
if ls "$ORT_DIR"/libonnxruntime_providers_cuda.so >/dev/null 2>&1; then
  p=$(probe cuda); echo "probe cuda: $p"
  echo "$p" | grep -q '"tokens"' && CUDA_OK=1
else echo "cuda: onnxruntime-node's CUDA provider library was not installed where the kit was packed (npm run install:cuda); skipped"; fi
# WebGPU is run even where the probe failed (its own provider check, say): the conformance runner and the bench
# then record why. The 8B-shaped bench on cpu would only spend the lease, so the device never runs it.
if [ -z "$PROVIDERS" ]; then
  if [ "$DRY" = 1 ]; then PROVIDERS=cpu; [ "$WEBGPU_OK" = 1 ] && PROVIDERS=cpu,webgpu
  else PROVIDERS=webgpu; [ "$CUDA_OK" = 1 ] && PROVIDERS=webgpu,cuda; fi
fi
echo "providers: $PROVIDERS"
cat >"$WORK/environment.json" <<EOF
{"gpu": "$GPU", "driver": "$DRIVER", "vulkan": "$VULKAN", "webgpuProbe": $WEBGPU_OK, "cudaProbe": $CUDA_OK, "providers": "$PROVIDERS", "dry": $DRY, "cpus": $(nproc), "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}
EOF

if [ "$DRY" = 1 ]; then BENCH_ARGS=(--dry); CONF_ARGS=(--dry); CONF_T=150; BENCH_T=150; PEER_T=30
else BENCH_ARGS=(); CONF_ARGS=(); CONF_T=120; BENCH_T=180; PEER_T=75; fi
want() { case ",$STAGES," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
want a || CONF_T=0
want b || BENCH_T=0
want c || PEER_T=0
BENCH_DIR=$WORK/bench

# The 8B-shaped checkpoint and its conversion run on the CPU meanwhile (about a minute).
stage "preparing the 8B-shaped model in the background"
PREP=""
if want b; then
  "$NODE" bench/gpu/bench.ts "${BENCH_ARGS[@]}" --prepare-only --dir "$BENCH_DIR" >"$WORK/prepare.log" 2>&1 &
  PREP=$!
fi

stage "(a) conformance on $PROVIDERS"
if want a; then
# The project's suite (test/conformance/*.test.ts, vitest from the kit) first, cpu alongside as the control;
# then conformance.ts: the whole length × chunk grid, fp16 weights, int8/int4 caches, snapshot restore.
if [ -f node_modules/vitest/vitest.mjs ] && ls test/conformance/*.test.ts >/dev/null 2>&1; then
  SUITE_T=$(limit $((CONF_T / 2)) $((BENCH_T + PEER_T + CONF_T / 3)))
  SUITE_PROVIDERS=$(echo "cpu,$PROVIDERS" | tr ',' '\n' | awk '!seen[$0]++' | paste -sd,)
  echo "test/conformance suite on $SUITE_PROVIDERS (limit ${SUITE_T} s):"
  QUIRE_CONFORMANCE_PROVIDERS=$SUITE_PROVIDERS timeout "$SUITE_T" "$NODE" node_modules/vitest/vitest.mjs run --config bench/gpu/vitest.config.ts --root . \
    --reporter=default --reporter=json --outputFile.json="$OUT/conformance-suite.json" 2>&1 | grep -v VerifyEachNodeIsAssignedToAnEp
  echo "suite exit: ${PIPESTATUS[0]}"
else echo "test/conformance suite: vitest not in the kit or no test files; conformance.ts only"; fi
timeout $(($(limit $CONF_T $((BENCH_T + PEER_T))) + 15)) "$NODE" bench/gpu/conformance.ts "${CONF_ARGS[@]}" --providers "$PROVIDERS" \
  --budget "$(limit $CONF_T $((BENCH_T + PEER_T)))" --out "$OUT/conformance.json" --dir "$WORK/conformance" 2>&1 | grep -v VerifyEachNodeIsAssignedToAnEp
echo "conformance exit: ${PIPESTATUS[0]}"
fi

stage "(b) Quire bench on $PROVIDERS"
if want b; then
wait $PREP; echo "prepare exit $?"; cat "$WORK/prepare.log"
timeout $(($(limit $BENCH_T $PEER_T) + 30)) "$NODE" bench/gpu/bench.ts "${BENCH_ARGS[@]}" --providers "$PROVIDERS" --budget "$(limit $BENCH_T $PEER_T)" \
  --dir "$BENCH_DIR" --out "$OUT/bench.json" 2>&1 | grep -v VerifyEachNodeIsAssignedToAnEp
echo "bench exit: ${PIPESTATUS[0]}"
fi

stage "(c) PyTorch/transformers peer"
if ! want c; then echo "not asked for (--stages $STAGES)"
elif ! command -v "$PY" >/dev/null 2>&1; then echo "python3 not found here: PyTorch peer skipped"
elif ! "$PY" -c 'import torch' 2>/dev/null; then
  echo "torch not installed here: PyTorch peer skipped"
  "$PY" bench/gpu/peer.py --bench "$OUT/bench.json" --out "$OUT/peer.json" >/dev/null 2>&1
elif [ ! -f "$OUT/bench.json" ]; then echo "no bench.json: PyTorch peer skipped"
else
  PEER_ARGS=(); [ "$DRY" = 1 ] && PEER_ARGS=(--allow-cpu)
  timeout $(($(limit $PEER_T 15) + 20)) "$PY" bench/gpu/peer.py "${PEER_ARGS[@]}" --bench "$OUT/bench.json" --out "$OUT/peer.json" --budget "$(limit $PEER_T 15)" 2>&1 | grep -v 'Loading weights'
  echo "peer exit: ${PIPESTATUS[0]}"
fi

stage "report"
"$NODE" bench/gpu/report.ts --dir "$OUT" --kit "$KIT/kit.json" --env "$WORK/environment.json" --out "$OUT/gpu-report.json" --md "$OUT/summary.md"
if command -v "$PY" >/dev/null 2>&1 && "$PY" bench/gpu/plot.py "$OUT/gpu-report.json" "$OUT/gpu-bench.png"; then :
else "$NODE" bench/gpu/report.ts --dir "$OUT" --png "$OUT/gpu-bench.png" >/dev/null && echo "plot (project PNG writer): $OUT/gpu-bench.png"; fi
# At most 8 files come back from the device: run.log, gpu-report.json, summary.md, gpu-bench.png and the parts.
echo
echo "== done in $(($(date +%s) - T0)) s; $OUT:"
ls -la "$OUT"
}
main 2>&1 | tee -a "$OUT/run.log"
exit "${PIPESTATUS[0]}"
