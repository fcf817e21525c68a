// What the backend's domain modules share: the stores and services createAppServices builds once. Each domain
// (library.ts, chat.ts, models.ts, …) takes what it needs from here and returns its own contract handlers, as
// the renderer's store is split into slices over the same domains.
import type { AppInfo, InstalledModel, Settings } from '../../common/contract.ts';
import type { ConversationStore } from '../chat/conversations.ts';
import type { ChatService } from '../chat/chat-service.ts';
import type { DocumentStore } from '../documents/store.ts';
import type { ProviderChoice } from '../engine/provider-choice.ts';
import type { EventBus } from '../events.ts';
import type { PdfPrinter } from '../export/pdf-printer.ts';
import type { ModelInstaller } from '../model-installer.ts';
import type { Originals } from '../originals.ts';
import type { EngineStore } from '../remote/engines.ts';
import type { Handlers } from '../router.ts';
import type { ModelFit } from '../runtime/model-fit.ts';
import type { ModelRuntime } from '../runtime/model-runtime.ts';
import type { TextService } from '../runtime/text-service.ts';
import type { SecretStore } from '../secrets.ts';
import type { SettingsStore } from '../settings.ts';

export interface AppContext {
  mode: AppInfo['mode'];
  root: string;
  bus: EventBus;
  settings: SettingsStore;
  secrets: SecretStore;
  engines: EngineStore;
  documents: DocumentStore;
  originals: Originals;
  conversations: ConversationStore;
  runtime: ModelRuntime;
  text: TextService;
  modelFit: ModelFit;
  chat: ChatService;
  installer: ModelInstaller;
  printPdf: PdfPrinter;
  // The provider this process runs whatever Settings say (quire ask --provider, QUIRE_PROVIDER), or null.
  providerOverride: ProviderChoice | null;
  // The model a question would use (Settings' choice, else the first installed), if any.
  currentModel: () => InstalledModel | undefined;
  activeModel: () => InstalledModel;
  // What the engine runs with: Settings, with the provider overridden for this process where asked.
  engineSettings: () => Settings;
}

// A domain's part of the router: the handlers of its own contract methods.
export type DomainHandlers<N extends keyof Handlers> = Pick<Handlers, N>;
