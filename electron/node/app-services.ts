import { QuireError } from '../common/errors.ts';
import type { AppInfo, InstalledModel } from '../common/contract.ts';
import { providerFromEnv, type ProviderChoice } from './engine/provider-choice.ts';
import { ChatService } from './chat/chat-service.ts';
import type { RemoteEngines } from './chat/remote-answer.ts';
import { ConversationStore } from './chat/conversations.ts';
import { closeDatabase, openDatabase } from './db.ts';
import { apiDomain } from './domains/api.ts';
import { chatHandlers } from './domains/chat.ts';
import { databaseHandlers } from './domains/database.ts';
import type { AppContext } from './domains/context.ts';
import { enginesHandlers } from './domains/engines.ts';
import { libraryHandlers } from './domains/library.ts';
import { modelsHandlers } from './domains/models.ts';
import { secretsHandlers } from './domains/secrets.ts';
import { selfCheckHandlers } from './domains/self-check.ts';
import { settingsHandlers } from './domains/settings.ts';
import { DocumentStore } from './documents/store.ts';
import { EventBus } from './events.ts';
import { chromiumPdfPrinter, type PdfPrinter } from './export/pdf-printer.ts';
import { listInstalledModels, modelAt } from './installed-models.ts';
import { ModelInstaller } from './model-installer.ts';
import { cleanOrphans } from './orphans.ts';
import { Originals } from './originals.ts';
import { databasePath, modelsDir } from './paths.ts';
import { EngineStore } from './remote/engines.ts';
import { remoteTokens } from './remote/remote-tokenizer.ts';
import { createRouter, type Handlers } from './router.ts';
import type { EngineProcess } from './runtime/engine-host.ts';
import { ModelFit } from './runtime/model-fit.ts';
import { ModelRuntime } from './runtime/model-runtime.ts';
import { DocumentPrompts } from './runtime/prompt-ids.ts';
import { TextService } from './runtime/text-service.ts';
import { HF_TOKEN_SECRET, SecretStore, type SecretCipher } from './secrets.ts';
import { SettingsStore } from './settings.ts';

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
// all build it the same way and talk to it only through the router. Each domain's handlers live in its own
// module (domains/); this only builds the shared services and composes them.
export function createAppServices({ mode, root, printPdf = chromiumPdfPrinter(), modelDir, engineProcess, provider, secretCipher = null, inAppApi = mode !== 'cli' }: AppServicesOptions) {
  const providerOverride = provider ?? providerFromEnv() ?? null;
  const db = openDatabase(databasePath(root));
  cleanOrphans(root);
  const settings = new SettingsStore(db);
  const secrets = new SecretStore(root, secretCipher);
  const engines = new EngineStore(db, secrets);
  const engineSettings = () => (providerOverride ? { ...settings.get(), provider: providerOverride } : settings.get());
  const bus = new EventBus();
  const runtime = new ModelRuntime({ root, snapshotBudgetBytes: () => settings.get().savedCacheBytes, ...(engineProcess ? { spawn: engineProcess } : {}), onState: (state) => bus.emit('models.engineState', state), onCheck: (check) => bus.emit('models.verifyProgress', check) });
  const text = new TextService();
  const prompts = new DocumentPrompts(root, text);
  // What was derived from a document goes with it: its stored prompt ids and saved KV prefixes.
  const documents = new DocumentStore(db, (id) => {
    prompts.removeDocument(id);
    runtime.store.removeDocument(id);
  });
  const conversations = new ConversationStore(db);
  const { currentModel, activeModel } = modelChoice(root, modelDir, settings);
  const modelFit = new ModelFit(documents, prompts);
  const chat = new ChatService({
    conversations,
    documents,
    runtime,
    bus,
    settings: engineSettings,
    activeModel,
    modelFit,
    prompts,
    remote: remoteEngines(root, engines, text, secrets),
  });
  const context: AppContext = {
    mode,
    root,
    bus,
    settings,
    secrets,
    engines,
    documents,
    originals: new Originals(root),
    conversations,
    runtime,
    text,
    modelFit,
    chat,
    // Gated repositories download with the token saved on the Models screen (HF_TOKEN when none is).
    installer: new ModelInstaller(root, () => secrets.get(HF_TOKEN_SECRET)),
    printPdf,
    providerOverride,
    currentModel,
    activeModel,
    engineSettings,
  };
  const api = apiDomain(context, inAppApi);

  return {
    router: createRouter(handlersOf(context, api)),
    bus,
    // The CLI drives these directly (files by path, no renderer in between).
    documents,
    chat,
    // `quire serve --api` serves the same engine, model choice and secrets over HTTP.
    runtime,
    text,
    prompts,
    secrets,
    activeModel,
    engineSettings,
    close: async () => {
      await api.close();
      await runtime.close();
      await text.close();
      closeDatabase(db);
    },
  };
}

export type AppServices = ReturnType<typeof createAppServices>;

// Every domain's handlers, composed into the router's one table.
function handlersOf(context: AppContext, api: ReturnType<typeof apiDomain>): Handlers {
  return {
    ...settingsHandlers(context, () => void api.apply()),
    ...modelsHandlers(context),
    ...secretsHandlers(context),
    ...selfCheckHandlers(context),
    ...enginesHandlers(context),
    ...libraryHandlers(context),
    ...chatHandlers(context),
    ...databaseHandlers(context),
    ...api.handlers,
  };
}

// The model a question uses: the folder given for this process (quire ask --model), else Settings' choice, else
// the first installed one; activeModel() says in words when there is none.
function modelChoice(root: string, modelDir: string | undefined, settings: SettingsStore) {
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
  return { currentModel, activeModel };
}

// Remote conversations: the engine's client, the model's own tokens (the server's, else its hub tokenizer), and
// how fast it reads prompts (kept with the engines).
function remoteEngines(root: string, engines: EngineStore, text: TextService, secrets: SecretStore): RemoteEngines {
  return {
    client: (id) => engines.client(id),
    count: (client, model, messages, signal) => remoteTokens(client, model, messages, { root, text, secrets }, signal),
    speed: (id, model) => engines.speed(id, model),
    recordSpeed: (id, model, tokensPerSecond) => engines.recordSpeed(id, model, tokensPerSecond),
    statedContext: (id, model) => engines.statedContext(id, model),
    // A served model installed here too (by its id, or the last part of a hub-style name: "quire/quire-nano") is
    // laid out in its own style, so it answers the same way remote and local.
    style: (model) => {
      const name = model.split('/').pop();
      return listInstalledModels(modelsDir(root)).find((m) => m.id === model || m.id === name)?.promptStyle ?? null;
    },
  };
}
