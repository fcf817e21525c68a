import { app, BrowserWindow, ipcMain, protocol, safeStorage, session, shell } from 'electron';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../common/contract.ts';
import { createAppServices, type AppServices } from '../node/app-services.ts';
import { ensureDefaultModel } from '../node/default-model.ts';
import { entryPoints, useBundledEntryPoints } from '../node/entry-points.ts';
import { claimDataDir, dataDir } from '../node/paths.ts';
import { mimeType, resolveAsset } from '../node/static-assets.ts';
import { utilityLauncher } from './utility-process.ts';
import type { EngineReply, EngineRequest } from '../node/engine/engine-protocol.ts';
import { useParserLauncher } from '../node/documents/extract.ts';
import { printHtmlToPdf } from './print-pdf.ts';
import {
  APP_ENTRY,
  APP_HOST,
  APP_SCHEME,
  isAllowedNavigation,
  isPermissionGranted,
  isTrustedSender,
  isVettedExternalUrl,
  protocolHeaders,
  secureWebPreferences,
} from './security.ts';

// Must precede `ready`: app:// is a standard, secure origin so the page gets a real origin and CSP applies.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
app.enableSandbox();

// The same built UI in development and in the package: Forge's renderer dev server is not used, so the CSP
// (no eval, no inline script) is identical everywhere.
const rendererDir = () => (app.isPackaged ? join(__dirname, '../renderer/main_window') : join(app.getAppPath(), 'dist/renderer'));

let services: AppServices | null = null;

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Quire',
    show: false,
    webPreferences: secureWebPreferences(join(__dirname, 'preload.cjs')),
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_ENTRY);
}

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAllowedNavigation(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isVettedExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
});

app.whenReady().then(async () => {
  const root = dataDir();
  claimDataDir(root);
  // Worker and engine scripts are emitted beside main.cjs by the Vite build (forge.config.ts); quire-nano
  // travels as an extra resource.
  useBundledEntryPoints(__dirname, app.isPackaged ? process.resourcesPath : join(app.getAppPath(), 'models', 'nano'));
  // Documents are parsed in utility processes too, whose memory goes back to the system when each ends.
  useParserLauncher(utilityLauncher);
  await ensureDefaultModel(root);
  // Secrets are sealed with the OS keychain's key where Electron has one (on Linux without a keyring it has
  // none, and the store falls back to its 0600 file, saying so).
  const secretCipher = safeStorage.isEncryptionAvailable()
    ? { protection: 'os-keychain' as const, encrypt: (plain: string) => safeStorage.encryptString(plain), decrypt: (stored: Buffer) => safeStorage.decryptString(stored) }
    : null;
  services = createAppServices({ mode: 'desktop', root, engineProcess: () => utilityLauncher<EngineRequest, EngineReply>(entryPoints.engineHost, { name: 'Quire engine' }), printPdf: printHtmlToPdf, secretCipher });

  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === APP_HOST ? resolveAsset(rendererDir(), url.pathname) : null;
    if (!file) return new Response('not found', { status: 404, headers: protocolHeaders('text/plain') });
    return new Response(await readFile(file), { headers: protocolHeaders(mimeType(file)) });
  });

  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(isPermissionGranted(permission, details.requestingUrl)),
  );
  session.defaultSession.setPermissionCheckHandler((_contents, permission, origin) => isPermissionGranted(permission, origin));

  ipcMain.handle(IPC_CALL_CHANNEL, (event, name: unknown, payload: unknown) => {
    if (!isTrustedSender(event.senderFrame)) return { ok: false, error: { code: 'FORBIDDEN', message: 'untrusted sender' } };
    return services!.router(name, payload);
  });
  services.bus.subscribe((name, payload) => {
    for (const window of BrowserWindow.getAllWindows()) window.webContents.send(IPC_EVENT_CHANNEL, name, payload);
  });

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', () => void services?.close());
