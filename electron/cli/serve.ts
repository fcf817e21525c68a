import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { QuireError } from '../common/errors.ts';
import { createAppServices } from '../node/app-services.ts';
import { ensureDefaultModel } from '../node/default-model.ts';
import { dataDir } from '../node/paths.ts';
import { startBrowserServer } from '../server/browser-server.ts';
import { intOption, parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';

export const RENDERER_DIST = new URL('../../dist/renderer/', import.meta.url).pathname;
const USAGE = 'quire serve [--port N] [--open]';

export const serve: Command = {
  summary: 'start the browser mode and print its URL',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { port: { type: 'string' }, open: { type: 'boolean' } }, USAGE);
    const port = intOption(values.port, 'port') ?? 0;
    if (port > 65_535) throw new QuireError('USAGE', `--port must be at most 65535, got ${port}`);
    if (!existsSync(new URL('index.html', `file://${RENDERER_DIST}`))) {
      throw new QuireError('NOT_FOUND', 'the UI is not built; run `npm run build:renderer` first');
    }
    const root = dataDir();
    if (await ensureDefaultModel(root)) io.stderr('quire: installed quire-nano, the bundled demonstration model\n');
    const services = createAppServices({ mode: 'browser', root });
    const server = await startBrowserServer({ port, staticDir: RENDERER_DIST, router: services.router, bus: services.bus }).catch(
      (error: NodeJS.ErrnoException) => {
        void services.close();
        throw new QuireError('USAGE', error.code === 'EADDRINUSE' ? `port ${port} is already in use` : error.message);
      },
    );
    io.stdout(`Quire is running at ${server.url}\n`);
    if (values.open) openBrowser(server.url);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    await services.close();
    return 0;
  },
};

function openBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}
