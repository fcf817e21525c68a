// A call's large byte arrays (a document to import) reach the browser-mode server beside the WebSocket, as a
// streamed HTTP upload: the body arrives a socket read at a time, so a large document holds no one else up,
// and no frame has to be large enough to carry one. The call then names the upload by the id it was given.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_FILE_BYTES } from '../node/documents/limits.ts';

// The largest upload is the largest file an importer accepts.
export const MAX_UPLOAD_BYTES = Math.max(...Object.values(MAX_FILE_BYTES));
// An upload that no call names within this time is dropped, so a client that sends and vanishes leaves nothing.
const UPLOAD_TTL_MS = 60_000;
// Uploads arriving or waiting for their call at once; more are refused (503) until those are taken.
const MAX_UPLOADS = 4;

export class Uploads {
  #held = new Map<string, { bytes: Uint8Array; timer: NodeJS.Timeout }>();
  #arriving = 0;

  // The bytes of upload `id`, once: a call takes them.
  take(id: string): Uint8Array | undefined {
    const entry = this.#held.get(id);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.#held.delete(id);
    return entry.bytes;
  }

  receive(req: IncomingMessage, res: ServerResponse): void {
    const refuse = (status: number, message: string) => {
      res.writeHead(status, { 'Content-Type': 'text/plain', Connection: 'close' }).end(message);
      req.resume();
    };
    if (req.method !== 'POST') return refuse(405, 'uploads are POSTed');
    if (Number(req.headers['content-length']) > MAX_UPLOAD_BYTES) return refuse(413, `an upload is at most ${MAX_UPLOAD_BYTES} bytes`);
    if (this.#held.size + this.#arriving >= MAX_UPLOADS) return refuse(503, 'too many uploads are waiting for their call');
    this.#arriving++;
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = () => {
      if (done) return false;
      done = true;
      this.#arriving--;
      return true;
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_UPLOAD_BYTES) return void chunks.push(chunk);
      if (!finish()) return;
      chunks.length = 0;
      res.writeHead(413, { 'Content-Type': 'text/plain', Connection: 'close' }).end(`an upload is at most ${MAX_UPLOAD_BYTES} bytes`, () => req.destroy());
    });
    req.on('error', () => finish());
    req.on('close', () => finish());
    req.on('end', () => {
      if (!finish()) return;
      const id = randomBytes(16).toString('base64url');
      const timer = setTimeout(() => this.#held.delete(id), UPLOAD_TTL_MS).unref();
      this.#held.set(id, { bytes: new Uint8Array(Buffer.concat(chunks, size)), timer });
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }).end(id);
    });
  }

  clear(): void {
    for (const { timer } of this.#held.values()) clearTimeout(timer);
    this.#held.clear();
  }
}
