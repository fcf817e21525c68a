// Security policy of the desktop app as pure functions and constants, so every rule is unit-tested without
// an Electron binary; main.ts only wires them to Electron's hooks.
import { CONTENT_SECURITY_POLICY } from '../common/csp.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'quire';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
  } as const;
}

export function protocolHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

// The window only ever shows the app's own pages; `app://quire.evil` or `app://quire@evil` do not pass
// because the parsed host must equal exactly.
export function isAppUrl(url: string): boolean {
  const parsed = parse(url);
  return parsed !== null && parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
}

export function isAllowedNavigation(url: string): boolean {
  return isAppUrl(url);
}

// Links leave the app only to a short list of well-known https sites (model cards and licences) and open in
// the user's browser; anything else is dropped.
export const EXTERNAL_HOSTS = ['huggingface.co', 'github.com', 'www.llama.com', 'llama.com', 'creativecommons.org', 'arxiv.org', 'nvidia.com', 'www.nvidia.com'];

export function isVettedExternalUrl(url: string): boolean {
  const parsed = parse(url);
  return (
    parsed !== null &&
    parsed.protocol === 'https:' &&
    parsed.username === '' &&
    parsed.password === '' &&
    parsed.port === '' &&
    EXTERNAL_HOSTS.includes(parsed.hostname)
  );
}

// Quire needs no camera, microphone, geolocation, notifications or the like: every request is refused,
// except writing text the user chose to copy.
const GRANTED_PERMISSIONS = new Set(['clipboard-sanitized-write']);

export function isPermissionGranted(permission: string, requestingUrl: string): boolean {
  return GRANTED_PERMISSIONS.has(permission) && isAppUrl(requestingUrl);
}

// IPC is accepted only from the app's own top-level frame.
export function isTrustedSender(frame: { url: string; parent: unknown } | null | undefined): boolean {
  return Boolean(frame) && frame!.parent === null && isAppUrl(frame!.url);
}
