import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuireError } from '../common/errors.ts';
import { createAppServices } from '../node/app-services.ts';
import { ensureDefaultModel } from '../node/default-model.ts';
import { damageMessage } from '../node/db-recovery.ts';
import { claimDataDir, databasePath, dataDir } from '../node/paths.ts';
import { startBrowserServer } from '../server/browser-server.ts';
import { intOption, parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { serveApi } from './serve-api.ts';

export const RENDERER_DIST = new URL('../../dist/renderer/', import.meta.url).pathname;
const USAGE = 'quire serve [--port N] [--open] | quire serve --api [--port N] [--model DIR] [--max-tokens N]';

export const serve: Command = {
  summary: 'start the browser mode and print its URL (--api: an OpenAI-compatible API over the engine)',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { port: { type: 'string' }, open: { type: 'boolean' }, api: { type: 'boolean' }, model: { type: 'string' }, 'max-tokens': { type: 'string' } }, USAGE);
    const port = intOption(values.port, 'port') ?? 0;
    if (port > 65_535) throw new QuireError('USAGE', `--port must be at most 65535, got ${port}`);
    if (values.api) {
      if (values.open) throw new QuireError('USAGE', `--open is for the browser mode, not --api (usage: ${USAGE})`);
      const maxAnswerTokens = intOption(values['max-tokens'], 'max-tokens', { min: 1 });
      return serveApi({ port, modelDir: values.model, ...(maxAnswerTokens ? { maxAnswerTokens } : {}) }, io);
    }
    if (values.model) throw new QuireError('USAGE', `--model goes with --api (usage: ${USAGE})`);
    if (values['max-tokens']) throw new QuireError('USAGE', `--max-tokens goes with --api (usage: ${USAGE})`);
    if (!existsSync(new URL('index.html', `file://${RENDERER_DIST}`))) {
      throw new QuireError('NOT_FOUND', 'the UI is not built; run `npm run build:renderer` first');
    }
    const root = dataDir();
    claimDataDir(root);
    if (await ensureDefaultModel(root)) io.stderr('quire: installed quire-nano, the bundled demonstration model\n');
    const services = createAppServices({ mode: 'browser', root });
    const damage = damageMessage(databasePath(root));
    if (damage) io.stderr(`quire: ${damage}\n`);
    const server = await startBrowserServer({ port, staticDir: RENDERER_DIST, router: services.router, bus: services.bus }).catch(
      (error: NodeJS.ErrnoException) => {
        void services.close();
        throw new QuireError('USAGE', error.code === 'EADDRINUSE' ? `port ${port} is already in use` : error.message);
      },
    );
    io.stdout(`Quire is running at ${server.url}\n`);
    const forgetOpenFile = values.open ? openBrowser(server.url) : () => undefined;
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    forgetOpenFile();
    await server.close();
    await services.close();
    return 0;
  },
};

// How long the browser has to read the opener's file before it is removed.
const OPEN_FILE_LIFETIME_MS = 60_000;

// The token must not appear on the opener's command line: /proc/PID/cmdline of xdg-open (and of the browser
// it starts) is readable by every local user. The opener gets instead a file only this user can read, in a
// 0700 folder of its own, that sends the browser on to the tokened address (the token stays in the URL
// fragment, so it is never sent to the server in a request line or a Referer). The file is removed after a
// minute, or when the server stops. Returns that removal.
function openBrowser(url: string): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'quire-open-'));
  const file = join(dir, 'open-quire.html');
  const href = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  writeFileSync(
    file,
    `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${href}"><title>Quire</title><a href="${href}">Open Quire</a>\n`,
    { mode: 0o600, flag: 'wx' },
  );
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [file], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const timer = setTimeout(remove, OPEN_FILE_LIFETIME_MS);
  timer.unref();
  return () => {
    clearTimeout(timer);
    remove();
  };
}
