import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { downloadRepo, listRepoFiles, type DownloadProgress } from '../../../models/download.ts';
import { writeTinyTokenizer } from '../../../models/tokenizer/tiny.ts';

// A local stand-in for the Hugging Face hub with its URL layout: the file list at
// /api/models/<repo>/revision/<rev>, files at /<repo>/resolve/<rev>/<path> redirecting to a CDN path
// that honours Range, like the real hub does.
const REPO = 'quire-test/tiny-llama';
const files = new Map<string, Buffer>();
const requests: { path: string; range: string | undefined; auth: string | undefined }[] = [];
const behaviour = {
  cutAfter: new Map<string, number>(), // path -> bytes to send once before dropping the connection
  corrupt: new Set<string>(),
  onSent: null as ((path: string, bytes: number) => void) | null,
  unsafeListing: false,
  gated: false,
};
let server: Server;
let endpoint = '';
let work = '';

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
function gitBlobId(b: Buffer): string {
  return createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
}

async function serveFile(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = files.get(path);
  if (!body) return void res.writeHead(404).end();
  if (behaviour.corrupt.has(path)) {
    body = Buffer.from(body);
    body[body.length >> 1] ^= 0xff;
  }
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = match ? Number(match[1]) : 0;
  if (start > body.length) return void res.writeHead(416).end();
  res.writeHead(match ? 206 : 200, {
    'content-length': body.length - start,
    ...(match ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
  });
  const cut = behaviour.cutAfter.get(path);
  behaviour.cutAfter.delete(path);
  let sent = 0;
  for (let at = start; at < body.length; at += 64 * 1024) {
    const chunk = body.subarray(at, Math.min(body.length, at + 64 * 1024, cut === undefined ? Infinity : start + cut));
    if (chunk.length === 0 || res.destroyed) break;
    if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    sent += chunk.length;
    behaviour.onSent?.(path, sent);
    await new Promise((r) => setTimeout(r, 2));
    if (cut !== undefined && sent >= cut) return void res.destroy();
  }
  res.end();
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  requests.push({ path: url.pathname, range: req.headers.range, auth: req.headers.authorization });
  if (behaviour.gated && req.headers.authorization !== 'Bearer hf_secret') return void res.writeHead(401).end();
  if (url.pathname === `/api/models/${REPO}/revision/main` && url.searchParams.get('blobs') === 'true') {
    const siblings = [...files].map(([rfilename, b]) => ({
      rfilename,
      size: b.length,
      blobId: rfilename.endsWith('.safetensors') ? gitBlobId(Buffer.from('lfs pointer')) : gitBlobId(b),
      ...(rfilename.endsWith('.safetensors') ? { lfs: { sha256: sha256(b), size: b.length, pointerSize: 134 } } : {}),
    }));
    if (behaviour.unsafeListing) siblings.push({ rfilename: '../escape.json', size: 1, blobId: 'x' });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: REPO, sha: 'abc', siblings }));
    return;
  }
  const resolve = `/${REPO}/resolve/main/`;
  if (url.pathname.startsWith(resolve)) {
    res.writeHead(302, { location: `/cdn/${url.pathname.slice(resolve.length)}` }).end();
    return;
  }
  if (url.pathname.startsWith('/cdn/')) return void serveFile(decodeURIComponent(url.pathname.slice(5)), req, res);
  res.writeHead(404).end();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'quire-download-'));
  const tok = join(work, 'tokenizer-src');
  await writeTinyTokenizer(tok);
  files.set('model.safetensors', randomBytes(3 * 1024 * 1024 + 123));
  files.set('config.json', Buffer.from(JSON.stringify({ architectures: ['LlamaForCausalLM'], hidden_size: 64 })));
  files.set('tokenizer.json', await readFile(join(tok, 'tokenizer.json')));
  files.set('tokenizer_config.json', await readFile(join(tok, 'tokenizer_config.json')));
  files.set('original/params.json', Buffer.from('{"dim": 64}'));
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(work, { recursive: true, force: true });
});
afterEach(() => {
  requests.length = 0;
  behaviour.cutAfter.clear();
  behaviour.corrupt.clear();
  behaviour.onSent = null;
  behaviour.unsafeListing = false;
  behaviour.gated = false;
});

let n = 0;
const freshDir = () => join(work, `out-${n++}`);
const include = ['*.safetensors', '*.json'];

describe('Hugging Face download', () => {
  it('lists files with sizes and LFS sha256', async () => {
    const listed = await listRepoFiles(REPO, { endpoint });
    const model = listed.find((f) => f.path === 'model.safetensors');
    expect(model?.size).toBe(files.get('model.safetensors')?.length);
    expect(model?.sha256).toBe(sha256(files.get('model.safetensors') as Buffer));
    expect(listed.find((f) => f.path === 'config.json')?.sha256).toBeNull();
  });

  it('downloads the included files, verified, with progress and the token header', async () => {
    const dir = freshDir();
    const progress: DownloadProgress[] = [];
    const got = await downloadRepo(REPO, dir, { endpoint, include, token: 'hf_secret', onProgress: (p) => progress.push(p) });
    expect(got.map((f) => f.path).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    for (const f of got) expect((await readFile(join(dir, f.path))).equals(files.get(f.path) as Buffer)).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const total = got.reduce((s, f) => s + f.size, 0);
    const last = progress.at(-1) as DownloadProgress;
    expect(last).toMatchObject({ bytesDone: total, bytesTotal: total, etaSeconds: 0 });
    expect(last.bytesPerSecond).toBeGreaterThan(0);
    for (let i = 1; i < progress.length; i++) expect(progress[i].bytesDone).toBeGreaterThanOrEqual(progress[i - 1].bytesDone);
    expect(requests.every((r) => r.auth === 'Bearer hf_secret')).toBe(true);
  });

  it('resumes an interrupted transfer with an HTTP Range request', async () => {
    const dir = freshDir();
    behaviour.cutAfter.set('model.safetensors', 1024 * 1024);
    await downloadRepo(REPO, dir, { endpoint, include: ['*.safetensors'] });
    expect((await readFile(join(dir, 'model.safetensors'))).equals(files.get('model.safetensors') as Buffer)).toBe(true);
    const ranges = requests.filter((r) => r.path === '/cdn/model.safetensors').map((r) => r.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it('stops on cancel, keeps the partial file, and resumes from it next time', async () => {
    const dir = freshDir();
    const controller = new AbortController();
    behaviour.onSent = (path, bytes) => {
      if (path === 'model.safetensors' && bytes >= 1024 * 1024) controller.abort();
    };
    await expect(downloadRepo(REPO, dir, { endpoint, include: ['*.safetensors'], signal: controller.signal })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    const partial = (await stat(join(dir, 'model.safetensors.part'))).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan((files.get('model.safetensors') as Buffer).length);
    behaviour.onSent = null;
    requests.length = 0;
    await downloadRepo(REPO, dir, { endpoint, include: ['*.safetensors'] });
    expect(requests.find((r) => r.path === '/cdn/model.safetensors')?.range).toBe(`bytes=${partial}-`);
    expect((await readFile(join(dir, 'model.safetensors'))).equals(files.get('model.safetensors') as Buffer)).toBe(true);
  });

  it('refuses a corrupted LFS file and a corrupted small file, leaving nothing behind', async () => {
    const dir = freshDir();
    behaviour.corrupt.add('model.safetensors');
    await expect(downloadRepo(REPO, dir, { endpoint, include: ['*.safetensors'] })).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(await readdir(dir)).toEqual([]);
    behaviour.corrupt.add('config.json');
    await expect(downloadRepo(REPO, dir, { endpoint, include: ['config.json'] })).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('maps hub refusals to clear errors and reads HF_ENDPOINT', async () => {
    behaviour.gated = true;
    await expect(listRepoFiles(REPO, { endpoint })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    behaviour.gated = false;
    await expect(listRepoFiles('quire-test/missing', { endpoint })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    behaviour.unsafeListing = true;
    await expect(listRepoFiles(REPO, { endpoint })).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED' });
    behaviour.unsafeListing = false;
    await expect(listRepoFiles('not a repo', { endpoint })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const saved = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = endpoint;
    try {
      expect((await listRepoFiles(REPO)).length).toBe(files.size);
    } finally {
      if (saved === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved;
    }
  });
});
