import { randomBytes } from 'node:crypto';
import { API_KEY_SECRET, type SecretStore } from '../secrets.ts';

// The API's bearer key: made once, at random, and kept in the secret store, so a client set up with it keeps
// working across restarts of the server.
export function apiKey(secrets: SecretStore): string {
  const stored = secrets.get(API_KEY_SECRET);
  if (stored) return stored;
  const key = `quire-${randomBytes(24).toString('base64url')}`;
  secrets.set(API_KEY_SECRET, key);
  return key;
}
