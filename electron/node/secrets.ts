import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretProtection } from '../common/contract.ts';
import { QuireError } from '../common/errors.ts';

// Secrets the user hands Quire (a Hugging Face access token, remote engines' API keys) live in one file of the
// data folder, `secrets.json`, 0600 like everything there. In the desktop app each value is encrypted with the
// OS keychain's key through Electron's safeStorage (injected as the cipher: services stay plain Node); the
// browser mode and the CLI have no keychain, so there the file's permissions are the protection, and
// `protection` says which, for the UI to tell the user. The user's secrets never leave this module except to
// the code that sends them to their own server; they are never logged nor returned to the renderer. The one
// key Quire issues itself, the API's (API_KEY_SECRET), is shown to the user, who copies it into other apps.

export interface SecretCipher {
  readonly protection: 'os-keychain';
  encrypt(plain: string): Buffer;
  decrypt(stored: Buffer): string;
}

// Secret names: fixed ones and one per remote engine.
export const HF_TOKEN_SECRET = 'hf-token';
// The bearer key of the API (`quire serve --api`, Settings → API), kept so that clients configured with it
// work after a restart.
export const API_KEY_SECRET = 'api-key';
export const engineKeySecret = (engineId: string) => `engine:${engineId}`;

const SECRETS_FILE = 'secrets.json';
const NAME = /^[a-z][a-z0-9-]*(:[A-Za-z0-9_-]{1,64})?$/;

interface StoredSecret {
  // 'keychain': base64 of the cipher's output; 'plain': the value itself (the file is 0600).
  kind: 'keychain' | 'plain';
  value: string;
}

export class SecretStore {
  #file: string;
  #cipher: SecretCipher | null;

  constructor(root: string, cipher: SecretCipher | null = null) {
    this.#file = join(root, SECRETS_FILE);
    this.#cipher = cipher;
  }

  get protection(): SecretProtection {
    return this.#cipher ? 'os-keychain' : 'user-only-file';
  }

  has(name: string): boolean {
    return this.#read()[checked(name)] !== undefined;
  }

  // The secret, or null when none is stored (or it was sealed by a keychain this process cannot open: the
  // user is then asked for it again rather than sent a garbled key).
  get(name: string): string | null {
    const stored = this.#read()[checked(name)];
    if (!stored) return null;
    if (stored.kind === 'plain') return stored.value;
    if (!this.#cipher) return null;
    try {
      return this.#cipher.decrypt(Buffer.from(stored.value, 'base64'));
    } catch {
      return null;
    }
  }

  // Stores `value`, or removes the secret when it is null or empty.
  set(name: string, value: string | null): void {
    const all = this.#read();
    const key = checked(name);
    if (value === null || value === '') delete all[key];
    else all[key] = this.#cipher ? { kind: 'keychain', value: this.#cipher.encrypt(value).toString('base64') } : { kind: 'plain', value };
    // Written whole to a new 0600 file and renamed over the old one: a crash leaves the old or the new file.
    const temp = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(all), { mode: 0o600 });
    renameSync(temp, this.#file);
  }

  #read(): Record<string, StoredSecret> {
    if (!existsSync(this.#file)) return {};
    try {
      const parsed = JSON.parse(readFileSync(this.#file, 'utf8'));
      return parsed && typeof parsed === 'object' ? parsed : {};
    } catch {
      // A damaged file holds nothing usable; the next set() replaces it.
      return {};
    }
  }
}

function checked(name: string): string {
  if (!NAME.test(name)) throw new QuireError('INVALID_INPUT', `invalid secret name ${JSON.stringify(name.slice(0, 80))}`);
  return name;
}
