import { resolve } from 'node:path';
import { QuireError } from '../common/errors.ts';
import { ApiEngine } from '../node/api/api-engine.ts';
import { apiKey } from '../node/api/api-key.ts';
import { startApiServer } from '../node/api/openai-server.ts';
import { createAppServices } from '../node/app-services.ts';
import { ensureDefaultModel } from '../node/default-model.ts';
import { modelAt } from '../node/installed-models.ts';
import { claimDataDir, dataDir } from '../node/paths.ts';
import type { CliIo } from './command.ts';

// `quire serve --api`: the engine behind an OpenAI-compatible API (electron/node/api/) until SIGINT/SIGTERM.
// The one stdout line is the contract clients and scripts parse: `quire api: <base URL> key: <key>`.
export async function serveApi({ port, modelDir, maxAnswerTokens }: { port: number; modelDir: string | undefined; maxAnswerTokens?: number }, io: CliIo): Promise<number> {
  const root = dataDir();
  claimDataDir(root);
  // A folder that is no converted model is refused now, in one line, rather than at the first request.
  if (modelDir) modelAt(modelDir);
  else if (await ensureDefaultModel(root)) {
    io.stderr('quire: installed quire-nano, the bundled demonstration model\n');
  }
  const services = createAppServices({ mode: 'browser', root, inAppApi: false, ...(modelDir ? { modelDir: resolve(modelDir) } : {}) });
  const engine = new ApiEngine({
    runtime: services.runtime,
    text: services.text,
    root,
    model: services.activeModel,
    settings: services.engineSettings,
    warn: (message) => io.stderr(`quire: ${message}\n`),
  });
  // With no model to serve (none installed, the demo declined) every request would fail: refused now.
  let model;
  try {
    model = services.activeModel();
  } catch (error) {
    await services.close();
    throw error;
  }
  const key = apiKey(services.secrets);
  const server = await startApiServer({ port, key, engine, ...(maxAnswerTokens ? { maxAnswerTokens } : {}) }).catch((error: NodeJS.ErrnoException) => {
    void services.close();
    throw new QuireError('USAGE', error.code === 'EADDRINUSE' ? `port ${port} is already in use` : error.message);
  });
  io.stdout(`quire api: ${server.baseUrl} key: ${key}\n`);
  io.stderr(`quire: serving ${model.id} with a ${engine.context(model)}-token context (loaded on the first request); Ctrl-C stops\n`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  // Clients still connected are let go (their requests stop), then what the engine is finishing, a
  // snapshot's write included, completes before it is stopped.
  await server.close();
  await engine.settled();
  await services.close();
  return 0;
}
