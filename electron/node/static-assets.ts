import { realpathSync } from 'node:fs';
import { extname, isAbsolute, join, relative, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

export function mimeType(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

// Maps a URL path onto a file inside the built UI folder, for both the app:// protocol and the browser-mode
// server. Anything that would leave the folder — `..` in any encoding, absolute paths, backslashes, NUL, a
// symlink pointing out — resolves to null. "/" is the index page.
export function resolveAsset(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const clean = decoded.replace(/^\/+/, '') || 'index.html';
  if (isAbsolute(clean) || clean.split('/').some((part) => part === '..' || part.startsWith('.'))) return null;
  try {
    const realRoot = realpathSync(root);
    const real = realpathSync(join(realRoot, clean));
    const rel = relative(realRoot, real);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) return null;
    return real;
  } catch {
    return null;
  }
}
