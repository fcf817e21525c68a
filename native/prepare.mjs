// npm's `prepare` script: builds the native addon where it is missing or older than what it is built from.
// `npx quire` in a checkout installs the checkout as a package, which runs this script again; a rebuild there
// took 30-40 s and, since node-gyp deletes the old build first, any engine started meanwhile found no addon and
// ran on onnxruntime-node instead (CI's engine-memory test measured that path beside the npx test). A build that
// fails leaves the engine on onnxruntime-node and the install going.
//   node native/prepare.mjs           build if stale
//   node native/prepare.mjs --check   exit 0 when up to date, 1 when a build is due; builds nothing
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NATIVE = dirname(fileURLToPath(import.meta.url));
// Both targets of binding.gyp.
const OUTPUTS = ['quire_ort.node', ...(process.platform === 'linux' ? ['quire_vk_layer.node'] : [])].map((f) => join(NATIVE, 'build', 'Release', f));
// The sources, the build file, and the lock file that pins the headers the addon compiles against.
const INPUTS = [join(NATIVE, 'binding.gyp'), join(NATIVE, '..', 'package-lock.json'), ...readdirSync(join(NATIVE, 'src')).map((f) => join(NATIVE, 'src', f))];

function upToDate() {
  if (!OUTPUTS.every((f) => existsSync(f))) return false;
  const built = Math.min(...OUTPUTS.map((f) => statSync(f).mtimeMs));
  return INPUTS.every((f) => !existsSync(f) || statSync(f).mtimeMs <= built);
}

if (process.argv.includes('--check')) process.exit(upToDate() ? 0 : 1);
if (!upToDate()) {
  const build = spawnSync('node-gyp', ['rebuild', '--directory', NATIVE], { stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) console.warn('quire: native addon not built; the engine falls back to onnxruntime-node');
}
