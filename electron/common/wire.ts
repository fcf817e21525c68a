// JSON for the browser-mode WebSocket, with byte arrays carried as base64 (Electron IPC clones them natively).
// Shared by the server and the renderer's transport so both ends agree.
const BYTES_TAG = '$bytes';
const UPLOAD_TAG = '$upload';

// No frame may hold a document: a call's byte arrays larger than INLINE_BYTES_LIMIT go beside it, each in a
// streamed HTTP upload (POST UPLOAD_PATH with the token header, answered with an id) that the frame names.
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

// `uploaded`: the byte arrays already sent beside the frame, by the id the server gave each.
export function encodeWire(message: WireMessage, uploaded: ReadonlyMap<Uint8Array, string> = new Map()): string {
  return JSON.stringify(message, (_key, value) => {
    if (!(value instanceof Uint8Array)) return value;
    const upload = uploaded.get(value);
    return upload === undefined ? { [BYTES_TAG]: bytesToBase64(value) } : { [UPLOAD_TAG]: upload };
  });
}

// A call as its frame, its large byte arrays first handed to `upload` (which answers with the server's id).
export async function encodeCall(call: { id: number; name: string; payload: unknown }, upload: (bytes: Uint8Array) => Promise<string>): Promise<string> {
  const uploaded = new Map<Uint8Array, string>();
  for (const bytes of largeByteArrays(call.payload)) uploaded.set(bytes, await upload(bytes));
  return encodeWire({ t: 'call', ...call }, uploaded);
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

function largeByteArrays(value: unknown, found: Uint8Array[] = []): Uint8Array[] {
  if (value instanceof Uint8Array) {
    if (value.length > INLINE_BYTES_LIMIT) found.push(value);
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) largeByteArrays(item, found);
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
