// Checks shared by Quire's loopback servers (the browser mode, the OpenAI-compatible API).
import { createHash, timingSafeEqual } from 'node:crypto';

// DNS rebinding defence: a page on a name the attacker controls, made to resolve to 127.0.0.1, reaches a
// loopback server with its own name in Host. Only the loopback names the server is reached by, on its own
// port, are answered.
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost']);

export function loopbackHost(host: string | undefined, port: number): boolean {
  const match = /^([^:]+):(\d+)$/.exec(host ?? '');
  return match !== null && LOOPBACK_NAMES.has(match[1].toLowerCase()) && Number(match[2]) === port;
}

// A page of the server itself, whichever loopback name it was opened at (http://localhost:PORT/#token=… as
// well as the printed 127.0.0.1 link): the Origin a browser sends is the page's, not the one Quire printed.
export function loopbackOrigin(origin: string | undefined, port: number): boolean {
  const match = /^http:\/\/(.+)$/.exec(origin ?? '');
  return match !== null && loopbackHost(match[1], port);
}

// Constant-time comparison of a presented secret with the expected one; hashing first makes the time
// independent of the lengths too.
export function sameSecret(given: string | null | undefined, expected: string): boolean {
  if (!given) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
