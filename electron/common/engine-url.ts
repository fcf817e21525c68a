import { QuireError } from './errors.ts';

// A remote engine's base URL, checked the same way where the user types it (the Settings form) and where it
// is used (the client): http(s) only, no credentials, no query, ending with /v1 (vLLM and most peers serve
// under it; a user pasting the server root gets /v1 added). Plain http is for this machine; elsewhere it needs
// the user's consent, since documents would travel unencrypted.

export const ENGINE_URL_LIMIT = 2_048;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.test(hostname);
}

export function checkEngineUrl(url: string, allowInsecureHttp: boolean): URL {
  if (url.length > ENGINE_URL_LIMIT) throw new QuireError('INVALID_INPUT', `the engine URL is longer than ${ENGINE_URL_LIMIT} characters`);
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new QuireError('INVALID_INPUT', `not a URL: ${JSON.stringify(url.slice(0, 80))}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new QuireError('INVALID_INPUT', `an engine URL starts with http:// or https://, not ${parsed.protocol}`);
  if (parsed.username || parsed.password) throw new QuireError('INVALID_INPUT', 'put the API key in its own field, not in the URL');
  parsed.search = '';
  parsed.hash = '';
  const path = parsed.pathname.replace(/\/+$/, '');
  parsed.pathname = path.endsWith('/v1') ? path : `${path}/v1`;
  if (needsInsecureConsent(parsed) && !allowInsecureHttp) {
    throw new QuireError('REMOTE_INSECURE', `http://${parsed.host} is not encrypted: documents sent there could be read on the way; use https, or allow plain http to this machine`);
  }
  return parsed;
}

// Plain http to another machine: what the user must allow explicitly.
export function needsInsecureConsent(url: URL): boolean {
  return url.protocol === 'http:' && !isLoopbackHost(url.hostname);
}
