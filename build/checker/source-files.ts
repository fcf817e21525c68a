import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SOURCE_EXTENSIONS } from './imports.ts';

// What .gitignore leaves out (installed packages, build outputs, fetched peers, test artifacts): never sources of
// the repository, whatever their extension. Folder names anywhere, then paths from the root.
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'out', '.vite', '.git', '.quire-data']);
const SKIPPED_PATHS = new Set(['native/build', 'bench/out', 'bench/.peers', 'bench/gpu/.kit', 'test/artifacts']);

/** Every source file (any of SOURCE_EXTENSIONS) under `root`'s `folders`, as `/`-separated paths relative to `root`. */
export function sourceFiles(root: string, folders: string[]): string[] {
  const walk = (relativeDir: string): string[] =>
    readdirSync(join(root, relativeDir), { withFileTypes: true }).flatMap((entry) => {
      const path = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) return SKIPPED_FOLDERS.has(entry.name) || SKIPPED_PATHS.has(path) ? [] : walk(path);
      return entry.isFile() && SOURCE_EXTENSIONS.some((ext) => entry.name.endsWith(ext)) && !entry.name.endsWith('.d.ts') ? [path] : [];
    });
  return folders.flatMap((folder) => {
    try {
      return walk(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return SOURCE_EXTENSIONS.some((ext) => folder.endsWith(ext)) ? [folder] : [];
      throw error;
    }
  }).sort();
}
