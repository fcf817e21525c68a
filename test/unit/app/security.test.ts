import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, CSP_DIRECTIVES } from '../../../electron/common/csp.ts';
import {
  isAllowedNavigation,
  isPermissionGranted,
  isTrustedSender,
  isVettedExternalUrl,
  protocolHeaders,
  secureWebPreferences,
} from '../../../electron/main/security.ts';
import { resolveAsset } from '../../../electron/node/static-assets.ts';

describe('webPreferences', () => {
  const prefs = secureWebPreferences('/app/preload.js');
  it('isolates and sandboxes the page with no Node', () => {
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.allowRunningInsecureContent).toBe(false);
    expect(prefs.experimentalFeatures).toBe(false);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.preload).toBe('/app/preload.js');
    expect(prefs).not.toHaveProperty('enableBlinkFeatures');
  });
});

describe('content security policy', () => {
  it('allows no eval, no inline script and no remote origin', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|unsafe-inline|\*|https?:/);
    expect(CSP_DIRECTIVES['default-src']).toEqual(["'none'"]);
    expect(CSP_DIRECTIVES['script-src']).toEqual(["'self'"]);
    expect(CSP_DIRECTIVES['object-src']).toEqual(["'none'"]);
    expect(CSP_DIRECTIVES['frame-ancestors']).toEqual(["'none'"]);
  });
  it('is sent on every app:// response', () => {
    expect(protocolHeaders('text/html')['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(protocolHeaders('text/html')['X-Content-Type-Options']).toBe('nosniff');
  });
});

describe('navigation', () => {
  it.each([
    ['app://quire/index.html', true],
    ['app://quire/#/chat', true],
    ['app://quire.evil/index.html', false],
    ['app://evil/index.html', false],
    ['app://quire@evil/index.html', false],
    ['https://example.com/', false],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['http://127.0.0.1:5173/', false],
    ['not a url', false],
  ])('%s → %s', (url, allowed) => {
    expect(isAllowedNavigation(url)).toBe(allowed);
  });
});

describe('external links', () => {
  it.each([
    ['https://huggingface.co/nvidia/Llama-3.1-Nemotron-8B-UltraLong-1M-Instruct', true],
    ['https://creativecommons.org/licenses/by-nc/4.0/', true],
    ['http://huggingface.co/', false],
    ['https://huggingface.co.evil.com/', false],
    ['https://user:pw@huggingface.co/', false],
    ['https://huggingface.co:8443/', false],
    ['file:///etc/passwd', false],
    ['smb://server/share', false],
    ['javascript:alert(1)', false],
  ])('%s → %s', (url, vetted) => {
    expect(isVettedExternalUrl(url)).toBe(vetted);
  });
});

describe('permissions', () => {
  it('denies everything but a sanitized clipboard write from the app itself', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'fullscreen', 'clipboard-read', 'hid', 'serial']) {
      expect(isPermissionGranted(permission, 'app://quire/index.html')).toBe(false);
    }
    expect(isPermissionGranted('clipboard-sanitized-write', 'app://quire/index.html')).toBe(true);
    expect(isPermissionGranted('clipboard-sanitized-write', 'https://example.com/')).toBe(false);
  });
});

describe('IPC sender validation', () => {
  it('accepts only the app top-level frame', () => {
    expect(isTrustedSender({ url: 'app://quire/index.html', parent: null })).toBe(true);
    expect(isTrustedSender({ url: 'app://quire/index.html', parent: {} })).toBe(false);
    expect(isTrustedSender({ url: 'https://example.com/', parent: null })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
  });
});

describe('app:// and browser-mode asset resolution', () => {
  const root = mkdtempSync(join(tmpdir(), 'quire-assets-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html>');
  writeFileSync(join(root, 'assets', 'app.js'), '');
  const outside = mkdtempSync(join(tmpdir(), 'quire-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'assets', 'link.txt'));

  it('serves files inside the UI folder', () => {
    expect(resolveAsset(root, '/')).toBe(join(root, 'index.html'));
    expect(resolveAsset(root, '/assets/app.js')).toBe(join(root, 'assets', 'app.js'));
  });
  it.each(['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2E%2E/%2E%2E/etc/passwd', '/..%2fsecret', '/%00', '/assets\\..\\index.html', '/.git/config', '/%E0%A4%A', '/assets/link.txt', '/missing.js'])(
    'refuses %s',
    (path) => {
      expect(resolveAsset(root, path)).toBeNull();
    },
  );
});
