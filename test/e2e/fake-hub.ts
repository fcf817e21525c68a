import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeTinyCheckpoint } from '../../models/tiny-checkpoint.ts';

export interface FakeHubOptions {
  // Bytes sent per 20 ms tick, so that progress can be watched.
  bytesPerTick?: number;
  // As huggingface.co does for LFS files: /resolve/ answers 302 to a content-addressed CDN URL.
  redirectLfs?: boolean;
  // A gated repository: every request without `Authorization: Bearer <token>` gets 401, as the hub answers.
  token?: string;
}

export interface FakeHub {
  endpoint: string;
  // Every file body served (repository paths, in order; a resumed file appears again).
  served: string[];
  close(): Promise<void>;
}

// A Hugging Face hub stand-in serving one folder as repository `repo`, with the hub's URL layout: the file
// list at /api/models/<repo>/revision/main?blobs=true (sha256 for LFS files, git blob ids for the rest) and
// each file at /<repo>/resolve/main/<path>, sent slowly enough that progress can be watched.
export async function startFakeHub(repo: string, dir: string, options: number | FakeHubOptions = {}): Promise<FakeHub> {
  const { bytesPerTick = 256 * 1024, redirectLfs = false, token } = typeof options === 'number' ? { bytesPerTick: options } : options;
  const files = new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
  const isLfs = (name: string) => name.endsWith('.safetensors');
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const byHash = new Map([...files].filter(([name]) => isLfs(name)).map(([name, b]) => [sha256(b), name]));
  const gitBlobId = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
  const served: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://hub');
    if (token && req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"Access to model is restricted."}');
    if (url.pathname === `/api/models/${repo}/revision/main`) {
      const siblings = [...files].map(([rfilename, b]) => ({
        rfilename,
        size: b.length,
        blobId: gitBlobId(b),
        ...(isLfs(rfilename) ? { lfs: { sha256: sha256(b), size: b.length } } : {}),
      }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: repo, sha: 'main', siblings }));
      return;
    }
    const prefix = `/${repo}/resolve/main/`;
    let name = url.pathname.startsWith(prefix) ? decodeURIComponent(url.pathname.slice(prefix.length)) : undefined;
    if (name && redirectLfs && isLfs(name) && files.has(name)) {
      res.writeHead(302, { location: `/cdn/${sha256(files.get(name)!)}` }).end();
      return;
    }
    if (url.pathname.startsWith('/cdn/')) name = byHash.get(url.pathname.slice('/cdn/'.length));
    const body = name ? files.get(name) : undefined;
    if (!name || !body) return void res.writeHead(404).end();
    served.push(name);
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
    served,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

// A tiny random-weight checkpoint laid out like nvidia/Llama-3.1-Nemotron-8B-UltraLong-1M-Instruct: config.json
// with its YaRN rope_scaling (factor 128 over an original 8192, β_fast 4, β_slow 1: max_position_embeddings
// 1M), rope_theta 500000, GQA 4:1, no demo label; safetensors in shards with model.safetensors.index.json;
// generation_config.json; tokenizer.json, tokenizer_config.json (the real Llama-3.1 chat template) and
// special_tokens_map.json; plus the README.md and .gitattributes a conversion does not need. `dtype` picks
// the fp32 or the bf16 variant of the weights.
export async function writeUltraLongLayout(dir: string, dtype: 'F32' | 'BF16'): Promise<Record<string, unknown>> {
  const config = await writeTinyCheckpoint(dir, {
    rope: 'yarn',
    originalContext: 8192,
    factor: 128,
    ropeTheta: 500_000,
    hiddenSize: 128,
    intermediateSize: 256,
    layers: 2,
    heads: 8,
    kvHeads: 2,
    dtype,
    shards: 4,
    seed: 11,
    demo: false,
    generationConfig: true,
  });
  const special = (content: string) => ({ content, lstrip: false, normalized: false, rstrip: false, single_word: false });
  writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify({ bos_token: special('<|begin_of_text|>'), eos_token: special('<|eot_id|>') }, null, 2));
  writeFileSync(join(dir, 'README.md'), '---\nlicense: cc-by-nc-4.0\n---\n# Tiny stand-in for Llama-3.1-Nemotron-8B-UltraLong-1M-Instruct\n');
  writeFileSync(join(dir, '.gitattributes'), '*.safetensors filter=lfs diff=lfs merge=lfs -text\n');
  return config;
}
