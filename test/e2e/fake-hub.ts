import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

// A Hugging Face hub stand-in serving one folder as repository `repo`, with the hub's URL layout: the file
// list at /api/models/<repo>/revision/main?blobs=true (sha256 for LFS files, git blob ids for the rest) and
// each file at /<repo>/resolve/main/<path>, sent slowly enough that progress can be watched.
export async function startFakeHub(repo: string, dir: string, bytesPerTick = 256 * 1024): Promise<{ endpoint: string; close(): Promise<void> }> {
  const files = new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
  const gitBlobId = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://hub');
    if (url.pathname === `/api/models/${repo}/revision/main`) {
      const siblings = [...files].map(([rfilename, b]) => ({
        rfilename,
        size: b.length,
        blobId: gitBlobId(b),
        ...(rfilename.endsWith('.safetensors') ? { lfs: { sha256: createHash('sha256').update(b).digest('hex'), size: b.length } } : {}),
      }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: repo, sha: 'main', siblings }));
      return;
    }
    const prefix = `/${repo}/resolve/main/`;
    const body = url.pathname.startsWith(prefix) ? files.get(decodeURIComponent(url.pathname.slice(prefix.length))) : undefined;
    if (!body) return void res.writeHead(404).end();
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    res.writeHead(start ? 206 : 200, { 'content-length': body.length - start, ...(start ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    for (let at = start; at < body.length && !res.destroyed; at += bytesPerTick) {
      if (!res.write(body.subarray(at, at + bytesPerTick))) await new Promise((r) => res.once('drain', r));
      await new Promise((r) => setTimeout(r, 20));
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
