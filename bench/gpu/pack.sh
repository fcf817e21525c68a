#!/usr/bin/env bash
# Packs what the GPU kit needs on the device machine and the working tree does not carry (it is ignored there)
# into bench/gpu/.kit/ (ignored): Node 24's binary, the runtime node_modules subset with onnxruntime-node's
# libonnxruntime.so.1 (and its CUDA/WebGPU provider libraries where installed) and vitest for test/conformance,
# the native build (addon, Vulkan layer), and Debian's Vulkan loader. Everything is xz-compressed; run.sh unpacks
# it there. Prints the sizes and fails when the kit exceeds 60 MiB or the whole transfer (tracked and
# untracked-not-ignored files plus the kit) exceeds the device's 64 MiB limit.
#   bash bench/gpu/pack.sh [--force]     (re-packs only what changed unless --force)
set -euo pipefail
trap 'echo "pack: failed at line $LINENO" >&2' ERR
cd "$(dirname "$0")/../.."
REPO=$PWD
KIT=bench/gpu/.kit
NODE_BIN=node_modules/node/bin/node
ORT_DIR=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
ADDON=native/build/Release/quire_ort.node
KIT_LIMIT=$((60 * 1024 * 1024))
TRAVEL_LIMIT=$((64 * 1024 * 1024))
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

die() { echo "pack: $*" >&2; exit 1; }
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "the device is Linux x86-64; pack on one (this is $(uname -s)-$(uname -m))"
[ -x "$NODE_BIN" ] || die "$NODE_BIN missing: run npm ci first"
[ -f "$ORT_DIR/libonnxruntime.so.1" ] || die "$ORT_DIR/libonnxruntime.so.1 missing: run npm ci first"
[ -f "$ADDON" ] || die "$ADDON missing: npm run build:native (the kit needs the native addon for GPU providers)"
command -v xz >/dev/null || die "xz is not installed"
# A build older than its sources would travel stale: say so (building here is npm run build:native's job).
newer=$(find native/src native/binding.gyp -newer "$ADDON" -type f 2>/dev/null | head -3 | tr '\n' ' ')
[ -z "$newer" ] || echo "pack: WARNING: $newer changed after $ADDON was built: run npm run build:native first, or the device runs a stale addon" >&2
NODE_VERSION=$("$NODE_BIN" --version)
case "$NODE_VERSION" in v24.*) ;; *) die "expected Node 24 at $NODE_BIN, found $NODE_VERSION" ;; esac
mkdir -p "$KIT/debs"

# A stamp per artifact: its inputs' paths, sizes and mtimes; an artifact is rebuilt only when they change.
stamp() { find "$@" -type f -printf '%p %s %T@\n' 2>/dev/null | sort | sha256sum | cut -c1-16; }
fresh() { [ "$FORCE" = 0 ] && [ -f "$KIT/$1" ] && [ -f "$KIT/.$1.stamp" ] && [ "$(cat "$KIT/.$1.stamp")" = "$2" ]; }

# 1. Node 24.
s=$(stamp "$NODE_BIN")
if fresh node.xz "$s"; then echo "node.xz: up to date"; else
  echo "node.xz: compressing $NODE_BIN ($NODE_VERSION, $(($(stat -c %s "$NODE_BIN") / 1048576)) MiB)…"
  xz -9 -T0 -c "$NODE_BIN" >"$KIT/node.xz.tmp" && mv "$KIT/node.xz.tmp" "$KIT/node.xz" && echo "$s" >"$KIT/.node.xz.stamp"
fi

# 2. Runtime: the node_modules closure of what bench/gpu's scripts import (found from the roots below through
# each package.json's dependencies; install-time-only ones left out), pruned of types, maps, docs and other
# platforms' binaries, plus the native addon. libonnxruntime.so.1 travels here, xz-compressed inside the tar.
# vitest (and vite, its peer) run test/conformance/*.test.ts there; where absent, run.sh uses conformance.ts alone.
ROOTS="onnxruntime-node onnx-proto zod vitest vite"
INSTALL_ONLY="adm-zip global-agent"
PACKAGES=$("$NODE_BIN" --input-type=module -e '
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
const [roots, skip] = [process.argv[1].split(" "), new Set(process.argv[2].split(" "))];
const top = join(process.cwd(), "node_modules");
const found = new Set();
function locate(name, from, optional) {
  for (let dir = from; dir.startsWith(top); dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === top) break;
  }
  const flat = join(top, name);
  if (existsSync(join(flat, "package.json"))) return flat;
  if (optional) return null;
  throw new Error(`cannot find ${name} from ${from}`);
}
function visit(dir) {
  if (!dir || found.has(dir)) return;
  found.add(dir);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  // Type packages are for the compiler only; optional ones (native bindings for this platform) where installed.
  for (const dep of Object.keys(pkg.dependencies ?? {})) if (!skip.has(dep) && !dep.startsWith("@types/")) visit(locate(dep, dir, false));
  for (const dep of Object.keys(pkg.optionalDependencies ?? {})) if (!skip.has(dep)) visit(locate(dep, dir, true));
}
for (const r of roots) visit(join(top, r));
console.log([...found].map((d) => relative(process.cwd(), d)).sort().join("\n"));
' "$ROOTS" "$INSTALL_ONLY")
CUDA_LIBS=$(cd "$ORT_DIR" && ls libonnxruntime_providers_*.so 2>/dev/null | tr '\n' ' ' || true)
# Every build product of native/ travels: the engine addon and what else binding.gyp builds (a Vulkan layer, say).
ADDONS=$(ls native/build/Release/*.node native/build/Release/*.so native/build/Release/*.json 2>/dev/null || true)
s=$(stamp $PACKAGES $ADDONS bench/gpu/pack.sh)
if fresh runtime.tar.xz "$s"; then echo "runtime.tar.xz: up to date"; else
  echo "runtime.tar.xz: $(echo "$PACKAGES" | wc -l) packages + $(echo $ADDONS | wc -w) native build products…"
  STAGE=$(mktemp -d)
  trap 'rm -rf "$STAGE"' EXIT
  for p in $PACKAGES; do
    mkdir -p "$STAGE/$p"
    # Nested node_modules are packages of their own, staged when the closure reaches them.
    (cd "$p" && find . -path ./node_modules -prune -o -type f -print |
      grep -vE '\.(d\.ts|d\.cts|d\.mts|map|md|markdown)$|/(test|tests|docs|example|examples|__tests__)/|/bin/napi-v6/(darwin|win32|linux/arm64)/|/script/' |
      tar -cf - -T -) | tar -xf - -C "$STAGE/$p"
  done
  mkdir -p "$STAGE/native/build/Release" && cp $ADDONS "$STAGE/native/build/Release/"
  # This machine's libstdc++, used there only where the system's is older than the addon needs (run.sh checks).
  mkdir -p "$STAGE/fallback-libs" && cp -L "$(gcc -print-file-name=libstdc++.so.6 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/libstdc++.so.6)" "$STAGE/fallback-libs/libstdc++.so.6"
  tar -cf - -C "$STAGE" . | xz -9 -T0 >"$KIT/runtime.tar.xz.tmp" && mv "$KIT/runtime.tar.xz.tmp" "$KIT/runtime.tar.xz" && echo "$s" >"$KIT/.runtime.tar.xz.stamp"
  rm -rf "$STAGE"
  trap - EXIT
fi

# 3. The Vulkan loader and GL dispatch libraries from Debian (amd64), as the device README shows: the device has
# the NVIDIA driver and its Vulkan ICD but no libvulkan.so.1. Downloaded once; kept in .kit/debs.
DEBS="libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libopengl0 libgles2"
missing=""
for d in $DEBS; do ls "$KIT/debs/${d}_"*_amd64.deb >/dev/null 2>&1 || missing="$missing $d"; done
if [ -n "$missing" ]; then
  echo "debs: downloading$missing from Debian…"
  lists=$(mktemp -d)
  mkdir -p "$lists/partial"
  o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$lists"
  apt-get $o update -qq >/dev/null 2>&1 || die "apt-get update failed (network?); put ${missing# } .deb files in $KIT/debs by hand"
  (cd "$KIT/debs" && apt-get $o download $missing 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  rm -rf "$lists"
  for d in $missing; do ls "$KIT/debs/${d}_"*_amd64.deb >/dev/null 2>&1 || die "could not download $d"; done
else echo "debs: up to date"; fi

# 4. What was packed, for run.sh to check against the tree it runs in (a stale addon is worse than none).
ORT_VERSION=$("$NODE_BIN" -p 'require("./node_modules/onnxruntime-node/package.json").version')
ADDON_SRC_SHA=$(find native/src native/binding.gyp -type f 2>/dev/null | sort | xargs cat | sha256sum | cut -c1-16)
cat >"$KIT/kit.json" <<EOF
{
  "packed": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "head": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "node": "$NODE_VERSION",
  "onnxruntime": "$ORT_VERSION",
  "providerLibraries": "$(echo $CUDA_LIBS)",
  "addonSourceSha": "$ADDON_SRC_SHA",
  "packages": [$(echo "$PACKAGES" | sed 's/.*/"&"/' | paste -sd, -)],
  "debs": [$(cd "$KIT/debs" && ls *.deb | sed 's/.*/"&"/' | paste -sd, -)]
}
EOF

# 5. Sizes against the limits.
kit_bytes=$(find "$KIT" -type f ! -name '.*.stamp' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
tree_bytes=$( (git ls-files -z; git ls-files -z --others --exclude-standard) | xargs -0 -r stat -c %s -- 2>/dev/null | awk '{s+=$1} END {print s+0}')
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo "kit: $KIT"
find "$KIT" -type f ! -name '.*.stamp' -printf '  %-48P %s\n' | sort | awk '{printf "  %-48s %8.2f MiB\n", $1, $2 / 1048576}'
echo "kit total: $(mib "$kit_bytes") (limit $(mib $KIT_LIMIT)); working tree that travels: $(mib "$tree_bytes"); together $(mib $((kit_bytes + tree_bytes))) (limit $(mib $TRAVEL_LIMIT))"
[ "$kit_bytes" -le "$KIT_LIMIT" ] || die "kit is $(mib "$kit_bytes"), over $(mib $KIT_LIMIT)"
[ $((kit_bytes + tree_bytes)) -le "$TRAVEL_LIMIT" ] || die "kit + working tree is $(mib $((kit_bytes + tree_bytes))), over the device's $(mib $TRAVEL_LIMIT)"
echo "pack: ok"
