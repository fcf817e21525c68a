// JSON for the browser-mode WebSocket, with byte arrays carried as base64 (Electron IPC clones them natively).
// Shared by the server and the renderer's transport so both ends agree.
const BYTES_TAG = '$bytes';

export type WireMessage =
  | { t: 'call'; id: number; name: string; payload: unknown }
  | { t: 'result'; id: number; outcome: unknown }
  | { t: 'event'; name: string; payload: unknown };

export function encodeWire(message: WireMessage): string {
  return JSON.stringify(message, (_key, value) =>
    value instanceof Uint8Array ? { [BYTES_TAG]: bytesToBase64(value) } : value,
  );
}

export function decodeWire(text: string): WireMessage {
  return JSON.parse(text, (_key, value) =>
    value && typeof value === 'object' && typeof value[BYTES_TAG] === 'string' && Object.keys(value).length === 1
      ? base64ToBytes(value[BYTES_TAG])
      : value,
  ) as WireMessage;
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
