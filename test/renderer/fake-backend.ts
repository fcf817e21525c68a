import type { CallName, CallOutcome, CatalogEntry, ChatMessage, DatabaseStatus, FitPlan, NiahCell, Conversation, ConversationStyle, DocumentSummary, EngineStatus, InstalledModel, RemoteChoice, RemoteEngine, RemoteModelInfo, Settings } from '../../electron/common/contract.ts';
import { calls } from '../../electron/common/contract.ts';
import type { Anchor } from '../../electron/common/document.ts';
import { checkEngineUrl, needsInsecureConsent } from '../../electron/common/engine-url.ts';
import { QuireError } from '../../electron/common/errors.ts';
import { conversionChoices } from '../../models/model-spec.ts';
import { SAMPLE_TITLE, sampleDocument } from '../../electron/node/sample-document.ts';
import { DEFAULT_SETTINGS } from '../../electron/node/settings.ts';
import type { Transport } from '../../renderer/src/api/client.ts';
import { catalogFit } from '../../electron/node/catalog-fit.ts';
import { loadCatalog } from '../../models/catalog.ts';

// An in-memory backend that speaks the contract (inputs and outputs are validated with the same schemas as
// the real router), so component tests exercise the UI against the real message shapes.
export function fakeBackend(initial: { documents?: DocumentSummary[]; installed?: InstalledModel[]; catalog?: CatalogEntry[] } = {}) {
  const state = {
    settings: { ...DEFAULT_SETTINGS } as Settings,
    documents: [...(initial.documents ?? [])],
    installed: initial.installed ?? [],
    catalog: initial.catalog ?? [],
    log: [] as { name: CallName; payload: unknown }[],
    conversations: [] as Conversation[],
    // A refusal every import gets, where a test wants one ("CODE: message").
    refuseImports: null as string | null,
    // Settings → Saved document caches: what the disk holds.
    savedCaches: { usedBytes: 41.2e9, files: 3, roomBytes: 64e9, diskFreeBytes: 412e9 },
    // Document texts by id, where a test needs more than a line, and their anchors (one page when not given).
    texts: {} as Record<string, string>,
    anchors: {} as Record<string, Anchor[]>,
    // What models.engine reports; a test may set a loaded engine.
    engine: { loaded: false, modelId: null, path: null, provider: null, reason: null, context: null, availableBytes: 8e9, totalBytes: 16e9, adapter: null, check: null, warning: null, providerOverride: null } as EngineStatus,
    // An edited question's other version (its old turns), by the id of the question shown.
    otherVersion: {} as Record<string, ChatMessage[]>,
    // What the fake model answers; the test decides.
    answer: (question: string) => `You asked: ${question}`,
    // Remote engines of Settings → Engines, and the models every one of them serves.
    engines: [] as RemoteEngine[],
    remoteModels: [{ id: 'nvidia/Llama-3.1-8B-UltraLong-1M-Instruct', maxModelLen: 1_048_576, ownedBy: 'vllm' }] as RemoteModelInfo[],
    // A refusal engines.add gets, where a test wants one ("CODE: message").
    refuseEngines: null as string | null,
    // Questions are stopped before their answer begins (the user pressed Stop while the prompt was counted).
    stopBeforeAnswer: false,
    // The server dies while asked: before it acknowledged the question (no event came), or after its first
    // progress event; every call fails from then on.
    diesInAsk: null as 'unacknowledged' | 'acknowledged' | null,
    // A call held until the test lets it answer (a PDF being written, an import in progress).
    gates: {} as Partial<Record<CallName, Promise<void>>>,
    // The server is gone: every call fails as the browser transport fails it.
    down: false,
    // What the local model's fit check says instead of "fits", where a test wants a refusal.
    localFit: {} as Partial<FitPlan>,
    // The memory the catalog's fit is planned against.
    memory: { device: 'system memory (RAM)', availableBytes: 24e9, source: 'free RAM' },
    // Cancel was pressed: the running self-check ends with CANCELLED.
    selfCheckCancelled: false,
    // Downloads stopped before their conversion.
    pausedDownloads: [] as { id: string; bytes: number }[],
    // What the self-check finds, cell by cell.
    selfCheckCells: [{ length: 512, depth: 50, accuracy: 1, samples: 1, seconds: 0.1 }] as NiahCell[],
    // Whether the library's documents fit the model, where a test wants a refusal.
    documentFit: { fits: true, reason: 'fits the 4K context' },
    // What database.status reports; a test may report damage.
    database: { damaged: false, message: null, backup: null, backupTime: null, staged: null } as DatabaseStatus,
  };
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const emit = (event: string, payload: unknown) => listeners.get(event)?.forEach((l) => l(payload));
  const conversation = (id: string) => {
    const found = state.conversations.find((c) => c.id === id);
    if (!found) throw new Error(`no conversation ${id}`);
    return found;
  };
  const message = (role: ChatMessage['role'], content: string): ChatMessage => ({
    id: `m${Math.random().toString(36).slice(2, 10)}`,
    role,
    content,
    quotes: [],
    stats: role === 'assistant' ? { promptTokens: 10, prefilledTokens: 10, generatedTokens: 3, documentSource: 'prefill', secondsToFirstToken: 0.1, tokensPerSecond: 30, stopped: false } : null,
    createdAt: new Date(0).toISOString(),
  });
  const remoteEngine = (engine: RemoteChoice | null | undefined) => {
    if (!engine) return null;
    const added = state.engines.find((e) => e.id === engine.engineId);
    if (!added) throw new QuireError('NOT_FOUND', `no engine ${engine.engineId}`);
    return { ...engine, host: added.host };
  };
  // The in-app API as the real service reports it: running on the chosen port while enabled.
  const apiStatus = () =>
    state.settings.apiServer.enabled
      ? { state: 'running', url: `http://127.0.0.1:${state.settings.apiServer.port}/v1`, key: 'quire-fake-key', error: null }
      : { state: 'off', url: null, key: null, error: null };
  const storedDocument = (id: string) => {
    const doc = state.documents.find((d) => d.id === id)!;
    const text = state.texts[id] ?? `Text of ${doc.title}.`;
    const anchors: Anchor[] = state.anchors[id] ?? [{ kind: 'page', label: '1', start: 0, end: text.length }];
    return { id, format: doc.format, title: doc.title, text, chars: text.length, anchors, warnings: [] as string[] };
  };
  const handlers: Record<CallName, (payload: never) => unknown> = {
    'api.status': () => apiStatus(),
    'database.status': () => state.database,
    'database.recover': ({ from }: { from: 'salvage' | 'backup' }) => {
      if (!state.database.damaged) throw Object.assign(new Error('the database is not damaged; there is nothing to recover'), { code: 'INVALID_INPUT' });
      return (state.database = { ...state.database, staged: from });
    },
    'app.info': () => ({ name: 'Quire', version: '0.0.0-test', mode: 'browser', platform: 'linux', dataDir: '/tmp/quire' }),
    'settings.get': () => state.settings,
    'settings.savedCaches': () => state.savedCaches,
    'settings.clearSavedCaches': () => {
      const deleted = state.savedCaches.files;
      state.savedCaches = { ...state.savedCaches, usedBytes: 0, files: 0 };
      return { deleted };
    },
    'settings.update': (patch: Partial<Settings>) => {
      state.settings = { ...state.settings, ...patch };
      if (patch.apiServer) emit('api.status', apiStatus());
      return state.settings;
    },
    'models.catalog': () => state.catalog,
    // The real planner over the real catalog's models that this backend lists.
    'models.catalogFit': () => catalogFit(loadCatalog().filter((m) => state.catalog.some((c) => c.id === m.id)), state.memory, { provider: 'cpu' }, { prefillChunk: 512 }),
    'models.choices': () => ({ provider: 'cpu', float16: true, choices: conversionChoices({ provider: 'cpu' }).map(({ precision, io, kv }) => ({ precision, io, kv })) }),
    'models.installed': () => state.installed,
    'models.install': () => {
      throw new Error('the fake backend installs nothing');
    },
    'models.cancelInstall': () => ({ cancelled: false }),
    'models.pausedDownloads': () => state.pausedDownloads,
    'models.remove': ({ id }: { id: string }) => {
      state.installed = state.installed.filter((m) => m.id !== id);
      return { removed: true };
    },
    'models.cancelSelfCheck': () => ({ cancelled: (state.selfCheckCancelled = true) }),
    'models.selfCheck': () => {
      if (state.selfCheckCancelled) throw new QuireError('CANCELLED', 'the self-check was cancelled');
      return { modelId: 'tiny', cells: state.selfCheckCells, mean: state.selfCheckCells.reduce((n, c) => n + c.accuracy, 0) / state.selfCheckCells.length, heatmapSvg: '<svg xmlns="http://www.w3.org/2000/svg"/>' };
    },
    'models.engine': () => state.engine,
    'models.hubToken': () => ({ saved: false, protection: 'user-only-file' }),
    'models.setHubToken': ({ token }: { token: string | null }) => ({ saved: token !== null, protection: 'user-only-file' }),
    // A model whose id starts with "damaged" fails the check as a real damaged one does.
    'models.verify': ({ id }: { id: string }) => {
      emit('models.verifyProgress', { id, doneBytes: 50, totalBytes: 100 });
      if (id.startsWith('damaged')) throw Object.assign(new Error(`model.onnx.data in /models/${id} does not match the checksum recorded when it was converted; convert the model again`), { code: 'MODEL_CORRUPT' });
      return { status: 'ok', message: 'all 4 files match the checksums recorded when the model was converted' };
    },
    'engines.list': () => state.engines,
    'engines.add': ({ name, baseUrl, apiKey, allowInsecureHttp }: { name: string; baseUrl: string; apiKey?: string; allowInsecureHttp?: boolean }) => {
      if (state.refuseEngines) throw new QuireError(state.refuseEngines.split(':')[0] as 'REMOTE_UNAUTHORIZED', state.refuseEngines.split(': ').slice(1).join(': '));
      const url = checkEngineUrl(baseUrl, allowInsecureHttp ?? false);
      const engine: RemoteEngine = { id: `e${state.engines.length + 1}`, name, baseUrl: url.href, host: url.host, hasKey: Boolean(apiKey), insecure: needsInsecureConsent(url), protection: 'user-only-file', createdAt: new Date(0).toISOString() };
      state.engines.push(engine);
      return { engine, models: state.remoteModels };
    },
    'engines.update': ({ id, name, apiKey }: { id: string; name?: string; apiKey?: string | null }) => {
      const engine = state.engines.find((e) => e.id === id)!;
      return Object.assign(engine, name !== undefined ? { name } : {}, apiKey !== undefined ? { hasKey: Boolean(apiKey) } : {});
    },
    'engines.remove': ({ id }: { id: string }) => {
      const before = state.engines.length;
      state.engines = state.engines.filter((e) => e.id !== id);
      return { removed: state.engines.length < before };
    },
    'engines.models': () => state.remoteModels,
    'engines.setContext': ({ model, context }: { model: string; context: number | null }) =>
      (state.remoteModels = state.remoteModels.map((m) => (m.id === model ? { ...m, maxModelLen: context, contextStated: context !== null } : m))),
    'library.list': () => state.documents.map((d) => ({ ...d, fit: state.installed.length > 0 ? { modelId: 'tiny', modelName: 'Tiny demo', context: 4096, ...state.documentFit } : null })),
    'library.import': ({ name, bytes }: { name: string; bytes: Uint8Array }) => {
      if (state.refuseImports) throw new QuireError(state.refuseImports.split(':')[0] as 'UNSUPPORTED_FORMAT', state.refuseImports.split(': ').slice(1).join(': '));
      // The real store knows files by their hash; the fake by name and size.
      const same = state.documents.find((d) => d.title === name.replace(/\.[^.]+$/, '') && d.chars === bytes.length);
      if (same) return { ...same, duplicate: true };
      const doc: DocumentSummary = {
        id: `doc-${state.documents.length + 1}`,
        title: name.replace(/\.[^.]+$/, ''),
        format: name.split('.').pop() ?? 'txt',
        chars: bytes.length,
        tokens: null,
        pages: 0,
        importedAt: new Date(0).toISOString(),
        warnings: [],
      };
      state.documents.push(doc);
      return { ...doc, duplicate: false };
    },
    'library.sample': () => {
      const sample = sampleDocument();
      const doc: DocumentSummary = { id: `doc-${state.documents.length + 1}`, title: SAMPLE_TITLE, format: 'md', chars: sample.text.length, tokens: null, pages: 0, importedAt: new Date(0).toISOString(), warnings: [] };
      state.documents.push(doc);
      return { document: doc, questions: sample.questions.map((q) => q.question) };
    },
    // The fake imports at once, so nothing is ever running to cancel.
    'library.cancelImport': () => ({ cancelled: false }),
    'library.delete': ({ id }: { id: string }) => {
      state.documents = state.documents.filter((d) => d.id !== id);
      return { deleted: true };
    },
    'library.original': () => {
      throw new Error('the fake backend keeps no originals');
    },
    'library.get': ({ id }: { id: string }) => storedDocument(id),
    'library.outline': ({ id }: { id: string }) => {
      const { text: _text, ...outline } = storedDocument(id);
      return outline;
    },
    'library.text': ({ id, start, end }: { id: string; start: number; end: number }) => {
      const { text } = storedDocument(id);
      if (start > text.length) throw new QuireError('INVALID_INPUT', `character ${start} is past the document's end (${text.length} characters)`);
      return { text: text.slice(start, end) };
    },
    'chat.list': () => state.conversations.map(({ messages: _m, ...summary }) => summary),
    'chat.get': ({ id }: { id: string }) => conversation(id),
    'chat.create': ({ documentIds, engine }: { documentIds: string[]; engine?: RemoteChoice | null }) => {
      const created: Conversation = { id: `c${state.conversations.length + 1}`, title: '', documentIds, modelId: null, engine: remoteEngine(engine), createdAt: new Date(0).toISOString(), updatedAt: new Date(0).toISOString(), messages: [] };
      state.conversations.unshift(created);
      return created;
    },
    'chat.setEngine': ({ id, engine }: { id: string; engine: RemoteChoice | null }) => Object.assign(conversation(id), { engine: remoteEngine(engine) }),
    'chat.setStyle': ({ id, style }: { id: string; style: ConversationStyle | null }) => Object.assign(conversation(id), { style }),
    'chat.rename': ({ id, title }: { id: string; title: string }) => {
      conversation(id).title = title;
      return { renamed: true };
    },
    'chat.delete': ({ id }: { id: string }) => {
      state.conversations = state.conversations.filter((c) => c.id !== id);
      return { deleted: true };
    },
    'chat.ask': ({ conversationId, question, replaceFrom }: { conversationId: string; question?: string; replaceFrom?: string }) => {
      if (state.stopBeforeAnswer) throw new QuireError('CANCELLED', 'cancelled');
      if (state.diesInAsk) {
        if (state.diesInAsk === 'acknowledged') emit('chat.progress', { conversationId, phase: 'tokenizing', done: 0, total: 0, tokensPerSecond: 0, etaSeconds: 0 });
        state.down = true;
        throw new QuireError('DISCONNECTED', 'the connection to Quire was lost');
      }
      const c = conversation(conversationId);
      const cut = c.messages.findIndex((m) => m.id === replaceFrom);
      // An edited question keeps its old turns as version 1 (two versions at most here).
      const kept = replaceFrom && c.messages[cut].role === 'user' ? c.messages.slice(cut) : null;
      if (replaceFrom) c.messages = c.messages.slice(0, cut);
      const asked = question ?? c.messages.at(-1)!.content;
      if (question) c.messages.push({ ...message('user', question), ...(kept ? { version: { index: 2, count: 2 } } : {}) });
      if (kept) state.otherVersion[c.messages.at(-1)!.id] = kept;
      c.title ||= asked;
      const answer = state.answer(asked);
      for (const word of answer.split(/(?<= )/)) emit('chat.delta', { conversationId, text: word });
      c.messages.push(message('assistant', answer));
      return c;
    },
    'chat.removeTurn': ({ conversationId, messageId }: { conversationId: string; messageId: string }) => {
      const c = conversation(conversationId);
      const at = c.messages.findIndex((m) => m.id === messageId);
      const start = c.messages[at].role === 'user' ? at : at - 1;
      c.messages.splice(start, 2);
      return c;
    },
    'chat.switchVersion': ({ conversationId, messageId, version }: { conversationId: string; messageId: string; version: number }) => {
      const c = conversation(conversationId);
      const at = c.messages.findIndex((m) => m.id === messageId);
      const other = state.otherVersion[messageId];
      if (!other || c.messages[at].version?.index === version) return c;
      const current = c.messages.slice(at);
      current[0] = { ...current[0], version: { index: 3 - version, count: 2 } };
      other[0] = { ...other[0], version: { index: version, count: 2 } };
      state.otherVersion[other[0].id] = current;
      c.messages = [...c.messages.slice(0, at), ...other];
      return c;
    },
    'chat.stop': () => ({ stopped: false }),
    'chat.fit': ({ documentIds, engine }: { documentIds: string[]; engine?: RemoteChoice | null }) => ({
      modelId: 'tiny',
      documentTokens: documentIds.length * 300,
      answerRoom: 512,
      context: 4096,
      modelContext: 4096,
      fitsContext: true,
      memory: { device: 'system memory (RAM)', availableBytes: 8 * 1024 ** 3, source: 'free RAM' },
      fitsMemory: true,
      fits: true,
      reason: 'fits the 4K context',
      choices: [{ kvDtype: 'fp16', installed: true, fits: true, reason: 'fits', maxTokens: 100_000 }],
      advice: [],
      ...(engine ? { server: { host: remoteEngine(engine)!.host, model: engine.model, tokensExact: true, tokenSource: 'the server' } } : {}),
      ...(engine ? {} : state.localFit),
    }),
    'export.conversation': ({ conversationId, format }: { conversationId: string; format: string }) => ({
      fileName: `${conversationId}.${format}`,
      mime: 'text/plain',
      bytes: new TextEncoder().encode(JSON.stringify(conversation(conversationId))),
    }),
  };
  const transport: Transport = {
    async call(name, payload): Promise<CallOutcome> {
      if (state.down) return { ok: false, error: { code: 'DISCONNECTED', message: 'Quire is not running; start it again and this page reconnects' } };
      const input = calls[name].input.parse(payload);
      state.log.push({ name, payload: input });
      await state.gates[name];
      let value: unknown;
      try {
        value = await handlers[name](input as never);
      } catch (error) {
        // A refusal with a code travels as the real router sends it; anything else is a bug in the test.
        const code = (error as { code?: string }).code;
        if (!code) throw error;
        return { ok: false, error: { code, message: (error as Error).message } };
      }
      return { ok: true, value: calls[name].output.parse(value) };
    },
    on(event, listener) {
      listeners.set(event, (listeners.get(event) ?? new Set()).add(listener));
      return () => listeners.get(event)?.delete(listener);
    },
  };
  // `emit` sends an event as the server would (progress that no call of the test causes).
  return { state, transport, emit };
}
