// JSON for the browser-mode WebSocket, with byte arrays carried as base64 (Electron IPC clones them natively).
// Shared by the server and the renderer's transport so both ends agree.
const BYTES_TAG = '$bytes';
const UPLOAD_TAG = '$upload';

// No frame may hold a document: a call's byte arrays larger than INLINE_BYTES_LIMIT, and its files (Blobs, which
// the page does not read), go beside it, each in a streamed HTTP upload (POST UPLOAD_PATH with the token header,
// answered with an id) that the frame names; the server decodes the id to the bytes it received.
// The largest frame a client then legitimately sends is a chat question of 20,000 characters all written as
// \uXXXX escapes (120 KB) or a call with INLINE_BYTES_LIMIT of base64 (88 KB); MAX_FRAME_BYTES leaves room
// over both, and anything larger is refused from the frame's header, before it is buffered.
export const UPLOAD_PATH = '/upload';
export const INLINE_BYTES_LIMIT = 64 * 1024;
export const MAX_FRAME_BYTES = 1024 * 1024;
// Contract payloads nest a few levels; a frame nesting deeper is refused before it is parsed.
export const MAX_FRAME_DEPTH = 32;

export type WireMessage =
  | { t: 'call'; id: number; name: string; payload: unknown }
  | { t: 'result'; id: number; outcome: unknown }
  | { t: 'event'; name: string; payload: unknown };

type Uploadable = Uint8Array | Blob;

// `uploaded`: the byte arrays and files already sent beside the frame, by the id the server gave each.
export function encodeWire(message: WireMessage, uploaded: ReadonlyMap<Uploadable, string> = new Map()): string {
  return JSON.stringify(message, (_key, value) => {
    if (!(value instanceof Uint8Array || value instanceof Blob)) return value;
    const upload = uploaded.get(value);
    if (upload !== undefined) return { [UPLOAD_TAG]: upload };
    if (value instanceof Blob) throw new TypeError('a file goes beside the frame, as an upload');
    return { [BYTES_TAG]: bytesToBase64(value) };
  });
}

// A call as its frame, its large byte arrays and its files first handed to `upload` (which sends each and
// answers with the server's id); a file is handed over unread, for the HTTP client to stream from the disk.
export async function encodeCall(call: { id: number; name: string; payload: unknown }, upload: (body: Uploadable) => Promise<string>): Promise<string> {
  const uploaded = new Map<Uploadable, string>();
  for (const body of sentBeside(call.payload)) uploaded.set(body, await upload(body));
  return encodeWire({ t: 'call', ...call }, uploaded);
}

// The payload with each file replaced by its bytes, for a transport that carries bytes only (Electron's IPC):
// there the file is read whole, as the structured clone would copy it anyway.
export async function withFilesRead(payload: unknown): Promise<unknown> {
  if (payload instanceof Blob) return new Uint8Array(await payload.arrayBuffer());
  if (!payload || typeof payload !== 'object' || payload instanceof Uint8Array) return payload;
  if (Array.isArray(payload)) return Promise.all(payload.map(withFilesRead));
  const entries = await Promise.all(Object.entries(payload).map(async ([key, value]) => [key, await withFilesRead(value)] as const));
  return Object.fromEntries(entries);
}

// `upload` gives the bytes of an upload id (undefined for an id the server does not hold, which then stays an
// object the contract refuses as not bytes).
export function decodeWire(text: string, upload: (id: string) => Uint8Array | undefined = () => undefined): WireMessage {
  return JSON.parse(text, (_key, value) => {
    if (!value || typeof value !== 'object' || Object.keys(value).length !== 1) return value;
    if (typeof value[BYTES_TAG] === 'string') return base64ToBytes(value[BYTES_TAG]);
    if (typeof value[UPLOAD_TAG] === 'string') return upload(value[UPLOAD_TAG]) ?? value;
    return value;
  }) as WireMessage;
}

function sentBeside(value: unknown, found: Uploadable[] = []): Uploadable[] {
  if (value instanceof Blob) found.push(value);
  else if (value instanceof Uint8Array) {
    if (value.length > INLINE_BYTES_LIMIT) found.push(value);
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) sentBeside(item, found);
  }
  return found;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) binary += String.fromCharCode(...bytes.subarray(i, i + step));
  return btoa(binary);
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
