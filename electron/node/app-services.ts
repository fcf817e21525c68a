import { freemem, totalmem } from 'node:os';
import { QuireError } from '../common/errors.ts';
import type { AppInfo, InstalledModel, RemoteChoice } from '../common/contract.ts';
import type { GpuAdapter } from './engine/gpu-adapter.ts';
import { providerFromEnv, type ProviderChoice } from './engine/provider-choice.ts';
import { loadCatalog } from '../../models/catalog.ts';
import { verifyModel } from '../../models/verify-model.ts';
import { ChatService } from './chat/chat-service.ts';
import { ConversationStore } from './chat/conversations.ts';
import { ModelRuntime } from './runtime/model-runtime.ts';
import { openDatabase } from './db.ts';
import { DocumentStore } from './documents/store.ts';
import type { EngineProcess } from './runtime/engine-host.ts';
import { heatmapSvg } from './eval/heatmap.ts';
import { EventBus } from './events.ts';
import { exportConversation } from './export/exporter.ts';
import { chromiumPdfPrinter, type PdfPrinter } from './export/pdf-printer.ts';
import { listInstalledModels, modelAt } from './installed-models.ts';
import { ModelFit } from './runtime/model-fit.ts';
import { cleanOrphans } from './orphans.ts';
import { sampleDocument } from './sample-document.ts';
import { conversionChoices, engineContext } from '../../models/model-spec.ts';
import { TextService } from './runtime/text-service.ts';
import { conversionTarget } from './engine/device-memory.ts';
import { ModelInstaller } from './model-installer.ts';
import { Originals } from './originals.ts';
import { databasePath, modelsDir } from './paths.ts';
import { createRouter, type Handlers } from './router.ts';
import { HF_TOKEN_SECRET, SecretStore, type SecretCipher } from './secrets.ts';
import { ApiEngine } from './api/api-engine.ts';
import { ApiService } from './api/api-service.ts';
import { EngineStore } from './remote/engines.ts';
import { remoteTokens } from './remote/remote-tokenizer.ts';
import { remoteTarget } from './chat/remote-answer.ts';
import { runRemoteNiah } from './eval/remote-niah.ts';
import { SettingsStore } from './settings.ts';
import { PRODUCT_VERSION } from './version.ts';

// The self-check's grid: four lengths up to the chosen context, five depths (the paper's figure, shortened).
const SELF_CHECK_FRACTIONS = [0.125, 0.25, 0.5, 1];
const SELF_CHECK_DEPTHS = [0, 25, 50, 75, 100];

export interface AppServicesOptions {
  mode: AppInfo['mode'];
  root: string;
  // Electron prints with its own Chromium; elsewhere the machine's Chromium/Chrome does.
  printPdf?: PdfPrinter;
  // A converted model folder to use instead of the installed ones (quire ask --model).
  modelDir?: string;
  // How the engine's process starts: a child process in plain Node, a utilityProcess in Electron.
  engineProcess?: () => EngineProcess;
  // The execution provider for this process whatever Settings say (quire ask --provider); QUIRE_PROVIDER
  // when not given.
  provider?: ProviderChoice;
  // Electron's safeStorage in the desktop app; none elsewhere (secrets.ts).
  secretCipher?: SecretCipher | null;
  // Whether Settings → API may start the OpenAI-compatible server in this process: the app's modes, not the
  // CLI (`quire serve --api` runs its own).
  inAppApi?: boolean;
}

// The whole backend as plain Node objects: the desktop main process, the browser-mode server and the tests
// all build it the same way and talk to it only through the router.
export function createAppServices({ mode, root, printPdf = chromiumPdfPrinter(), modelDir, engineProcess, provider, secretCipher = null, inAppApi = mode !== 'cli' }: AppServicesOptions) {
  const providerOverride = provider ?? providerFromEnv() ?? null;
  const db = openDatabase(databasePath(root));
  cleanOrphans(root);
  const settings = new SettingsStore(db);
  const secrets = new SecretStore(root, secretCipher);
  const engines = new EngineStore(db, secrets);
  // What the engine runs with: Settings, with the provider overridden for this process where asked.
  const engineSettings = () => (providerOverride ? { ...settings.get(), provider: providerOverride } : settings.get());
  const runtime = new ModelRuntime({ root, ...(engineProcess ? { spawn: engineProcess } : {}), onState: (state) => bus.emit('models.engineState', state) });
  const documents = new DocumentStore(db, (id) => runtime.store.removeDocument(id));
  const importing = new Map<string, AbortController>();
  const originals = new Originals(root);
  const bus = new EventBus();
  const conversations = new ConversationStore(db);
  const currentModel = (): InstalledModel | undefined => {
    if (modelDir) return modelAt(modelDir);
    const installed = listInstalledModels(modelsDir(root));
    return installed.find((m) => m.id === settings.get().modelId) ?? installed[0];
  };
  const activeModel = (): InstalledModel => {
    const chosen = currentModel();
    if (!chosen) throw new QuireError('NOT_FOUND', 'no model is installed; add one on the Models screen');
    return chosen;
  };
  // Gated repositories download with the token saved on the Models screen (HF_TOKEN when none is).
  const installer = new ModelInstaller(root, () => secrets.get(HF_TOKEN_SECRET));
  const hubToken = () => ({ saved: secrets.has(HF_TOKEN_SECRET), protection: secrets.protection });
  const text = new TextService();
  const modelFit = new ModelFit(documents, text);
  const libraryEntries = async () => {
    const model = currentModel();
    const summaries = documents.list();
    if (!model) return summaries.map((summary) => ({ ...summary, fit: null }));
    const fits = await modelFit.documentFits(summaries.map((s) => s.id), model, engineSettings());
    // The count the fit used, also when a full disk kept it from being stored.
    return summaries.map((summary) => ({ ...summary, tokens: fits.get(summary.id)?.tokens ?? summary.tokens, fit: fits.get(summary.id)?.fit ?? null }));
  };
  const chat = new ChatService({
    conversations,
    documents,
    runtime,
    bus,
    root,
    settings: engineSettings,
    activeModel,
    modelFit,
    text,
    // Remote conversations: the engine's client, the model's own tokens (the server's, else its hub tokenizer),
    // and how fast it reads prompts (kept with the engines).
    remote: {
      client: (id) => engines.client(id),
      count: (client, model, messages, signal) => remoteTokens(client, model, messages, { root, text, secrets }, signal),
      speed: (id, model) => engines.speed(id, model),
      recordSpeed: (id, model, tokensPerSecond) => engines.recordSpeed(id, model, tokensPerSecond),
    },
  });

  // The engine served to other apps (Settings → API), taking turns with the app's own questions.
  const api = new ApiService(new ApiEngine({ runtime, text, root, model: activeModel, settings: engineSettings }), secrets, (status) => bus.emit('api.status', status));
  const applyApi = () => (inAppApi ? api.apply(settings.get().apiServer) : Promise.resolve(api.status()));
  if (settings.get().apiServer.enabled) void applyApi();

  // The self-check on a remote engine's model: the same grid up to the server's context, counted by the server.
  const remoteSelfCheck = async (engine: RemoteChoice) => {
    const { client, context } = await remoteTarget(engines, engine);
    if (!context) throw new QuireError('INVALID_INPUT', `${client.host} does not report ${engine.model}'s context, which the self-check needs`);
    const lengths = SELF_CHECK_FRACTIONS.map((f) => Math.round(context * f));
    const total = lengths.length * SELF_CHECK_DEPTHS.length;
    let done = 0;
    const result = await runRemoteNiah({
      client,
      model: engine.model,
      context,
      count: async (messages) => (await remoteTokens(client, engine.model, messages, { root, text, secrets })).tokens,
      lengths,
      depths: SELF_CHECK_DEPTHS,
      onCell: (cell) => bus.emit('models.selfCheckProgress', { cell, done: ++done, total }),
    });
    return { modelId: engine.model, ...result, heatmapSvg: heatmapSvg(result.cells, `${engine.model} on ${client.host} · self-check`) };
  };

  const handlers: Handlers = {
    'app.info': () => ({ name: 'Quire', version: PRODUCT_VERSION, mode, platform: process.platform, dataDir: root }),
    'settings.get': () => settings.get(),
    'settings.update': (patch) => {
      // A model that is not installed is refused, not silently replaced by another at the next question.
      if (patch.modelId && !listInstalledModels(modelsDir(root)).some((m) => m.id === patch.modelId)) {
        throw new QuireError('NOT_FOUND', `no installed model with id ${patch.modelId}`);
      }
      const next = settings.update(patch);
      bus.emit('settings.changed', next);
      if (patch.apiServer) void applyApi();
      return next;
    },
    'models.catalog': () => loadCatalog(),
    'models.choices': () => {
      const target = conversionTarget(settings.get().provider);
      return { provider: target.provider ?? 'cpu', float16: target.float16 !== false, choices: conversionChoices(target).map(({ precision, io, kv }) => ({ precision, io, kv })) };
    },
    'models.installed': () => listInstalledModels(modelsDir(root)),
    'models.install': async (request) => {
      const model = await installer.install(request, (progress) => bus.emit('models.progress', progress), conversionTarget(engineSettings().provider));
      bus.emit('models.changed', {});
      return model;
    },
    'models.cancelInstall': ({ id }) => ({ cancelled: installer.cancel(id) }),
    'models.remove': async ({ id }) => {
      if (runtime.loaded?.model.id === id) await runtime.close();
      const removed = installer.remove(id);
      if (removed && settings.get().modelId === id) bus.emit('settings.changed', settings.update({ modelId: null }));
      if (removed) bus.emit('models.changed', {});
      return { removed };
    },
    'models.selfCheck': async ({ engine }) => {
      if (engine) return remoteSelfCheck(engine);
      const model = activeModel();
      const context = engineContext(model, settings.get());
      const lengths = SELF_CHECK_FRACTIONS.map((f) => Math.round(context * f));
      const total = lengths.length * SELF_CHECK_DEPTHS.length;
      let done = 0;
      const result = await runtime.selfCheck(model, { lengths, depths: SELF_CHECK_DEPTHS, samples: 1, context, provider: engineSettings().provider }, (cell) =>
        bus.emit('models.selfCheckProgress', { cell, done: ++done, total }),
      );
      return { modelId: model.id, ...result, heatmapSvg: heatmapSvg(result.cells, `${model.name} · self-check`) };
    },
    'models.hubToken': () => hubToken(),
    'models.setHubToken': ({ token }) => {
      secrets.set(HF_TOKEN_SECRET, token);
      return hubToken();
    },
    'models.verify': async ({ id }) => {
      const model = listInstalledModels(modelsDir(root)).find((m) => m.id === id);
      if (!model) throw new QuireError('NOT_FOUND', `no installed model ${id}`);
      // A progress event per 64 MB read, not per chunk: a 16 GB model would otherwise send thousands.
      let reported = 0;
      const result = await verifyModel(model.dir, {
        onProgress: ({ doneBytes, totalBytes }) => {
          if (doneBytes - reported < 64e6 && doneBytes < totalBytes) return;
          reported = doneBytes;
          bus.emit('models.verifyProgress', { id, doneBytes, totalBytes });
        },
      });
      if (result.status === 'unchecked') return { status: 'unchecked' as const, message: result.reason };
      return { status: 'ok' as const, message: `all ${result.files.length} files match the checksums recorded when the model was converted` };
    },
    'models.engine': () => {
      const loaded = runtime.loaded;
      return {
        loaded: loaded !== null,
        modelId: loaded?.model.id ?? null,
        path: loaded?.report.path ?? null,
        provider: loaded?.report.provider ?? null,
        // With no model held after the engine died, why (and that it is restarting) rather than nothing.
        reason: loaded?.report.reason ?? runtime.lastExit,
        context: loaded?.report.context ?? null,
        availableBytes: freemem(),
        totalBytes: totalmem(),
        adapter: loaded?.report.adapter ? pickAdapter(loaded.report.adapter) : null,
        check: loaded?.report.check ?? null,
        warning: loaded?.report.warning ?? null,
        providerOverride,
      };
    },
    'engines.list': () => engines.list(),
    'engines.add': (request) => engines.add(request),
    'engines.update': ({ id, ...patch }) => engines.update(id, patch),
    'engines.remove': ({ id }) => ({ removed: engines.remove(id) }),
    'engines.models': ({ id }) => engines.models(id),
    'library.list': () => libraryEntries(),
    'library.sample': async () => {
      const sample = sampleDocument();
      const document = await documents.importBytes(sample.name, new TextEncoder().encode(sample.text), {
        onProgress: (p) => bus.emit('library.progress', { name: sample.name, ...p }),
      });
      bus.emit('library.changed', {});
      return { document, questions: sample.questions.map((q) => q.question) };
    },
    'library.import': async ({ name, bytes, ocrLanguage }) => {
      // Imports are named by their file name in progress events, and so in a cancel too.
      const abort = new AbortController();
      importing.set(name, abort);
      try {
        const imported = await documents.importBytes(name, bytes, {
          ocrLanguage,
          signal: abort.signal,
          onProgress: (p) => bus.emit('library.progress', { name, ...p }),
          original: { keep: (id, format) => originals.keep(id, format, bytes), remove: (id) => originals.remove(id) },
        });
        bus.emit('library.changed', {});
        return imported;
      } finally {
        if (importing.get(name) === abort) importing.delete(name);
      }
    },
    'library.cancelImport': ({ name }) => {
      const abort = importing.get(name);
      abort?.abort();
      return { cancelled: abort !== undefined };
    },
    'library.delete': ({ id }) => {
      if (!documents.summary(id)) throw new QuireError('NOT_FOUND', `no document with id ${id}`);
      documents.delete(id);
      originals.remove(id);
      bus.emit('library.changed', {});
      return { deleted: true };
    },
    'library.original': ({ id }) => {
      if (!documents.summary(id)) throw new QuireError('NOT_FOUND', `no document with id ${id}`);
      return { bytes: originals.read(id) };
    },
    'library.get': ({ id }) => {
      const doc = documents.get(id);
      if (!doc) throw new QuireError('NOT_FOUND', `no document with id ${id}`);
      return { ...doc, id };
    },
    'export.conversation': ({ conversationId, format, messageId }) => {
      const conversation = chat.get(conversationId);
      const summaries = conversation.documentIds.flatMap((id) => documents.summary(id) ?? []);
      return exportConversation(conversation, summaries, format, printPdf, messageId);
    },
    'chat.list': () => conversations.list(),
    'chat.get': ({ id }) => chat.get(id),
    'chat.create': ({ documentIds, engine }) => chat.create(documentIds, engine ?? null),
    'chat.setEngine': ({ id, engine }) => chat.setEngine(id, engine),
    'chat.delete': ({ id }) => ({ deleted: conversations.delete(id) }),
    'chat.rename': ({ id, title }) => {
      if (!conversations.rename(id, title)) throw new QuireError('NOT_FOUND', `no conversation with id ${id}`);
      return { renamed: true };
    },
    'chat.removeTurn': ({ conversationId, messageId }) => chat.removeTurn(conversationId, messageId),
    'chat.switchVersion': ({ conversationId, messageId, version }) => chat.switchVersion(conversationId, messageId, version),
    'chat.ask': (request) => chat.ask(request),
    'chat.stop': ({ conversationId }) => ({ stopped: chat.stop(conversationId) }),
    'chat.fit': ({ documentIds, engine }) => chat.fit(documentIds, engine ?? null),
    'api.status': () => api.status(),
  };

  return {
    router: createRouter(handlers),
    bus,
    // The CLI drives these directly (files by path, no renderer in between).
    documents,
    chat,
    // `quire serve --api` serves the same engine, model choice and secrets over HTTP.
    runtime,
    text,
    secrets,
    activeModel,
    engineSettings,
    close: async () => {
      await api.close();
      await runtime.close();
      await text.close();
      db.close();
    },
  };
}

export type AppServices = ReturnType<typeof createAppServices>;

function pickAdapter({ name, kind, driver, memoryBytes, freeBytes }: GpuAdapter) {
  return { name, kind, driver, memoryBytes, freeBytes };
}
