import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineKeySecret, HF_TOKEN_SECRET, SecretStore, type SecretCipher } from '../../../electron/node/secrets.ts';

// A reversible stand-in for safeStorage: enough to prove the stored bytes are the cipher's, not the value.
const xorCipher: SecretCipher = {
  protection: 'os-keychain',
  encrypt: (plain) => Buffer.from(Buffer.from(plain, 'utf8').map((b) => b ^ 0x5a)),
  decrypt: (stored) => Buffer.from(stored.map((b) => b ^ 0x5a)).toString('utf8'),
};

describe('secret store', () => {
  it('keeps secrets in a 0600 file and removes them', () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-secrets-'));
    const store = new SecretStore(root);
    expect(store.protection).toBe('user-only-file');
    store.set(HF_TOKEN_SECRET, 'hf_abc');
    store.set(engineKeySecret('e1'), 'sk-1');
    expect(store.get(HF_TOKEN_SECRET)).toBe('hf_abc');
    expect(new SecretStore(root).get(engineKeySecret('e1'))).toBe('sk-1');
    if (process.platform !== 'win32') expect(statSync(join(root, 'secrets.json')).mode & 0o777).toBe(0o600);
    store.set(HF_TOKEN_SECRET, null);
    expect(store.has(HF_TOKEN_SECRET)).toBe(false);
    expect(store.get(engineKeySecret('e1'))).toBe('sk-1');
  });

  it('stores only ciphertext when a keychain cipher is given, and nothing readable without it', () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-secrets-'));
    new SecretStore(root, xorCipher).set(engineKeySecret('e2'), 'sk-secret-value');
    expect(readFileSync(join(root, 'secrets.json'), 'utf8')).not.toContain('sk-secret-value');
    expect(new SecretStore(root, xorCipher).get(engineKeySecret('e2'))).toBe('sk-secret-value');
    expect(new SecretStore(root).get(engineKeySecret('e2'))).toBeNull();
  });

  it('refuses names that are not secret names', () => {
    const store = new SecretStore(mkdtempSync(join(tmpdir(), 'quire-secrets-')));
    expect(() => store.set('../x', 'v')).toThrow(/invalid secret name/);
  });
});
