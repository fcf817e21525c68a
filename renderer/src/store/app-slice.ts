import type { AppInfo } from '../../../electron/common/contract.ts';
import type { ConnectionState } from '../api/client.ts';
import type { SliceCreator } from './app-store.ts';

export type View = 'library' | 'chat' | 'models' | 'settings';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

export interface AppSlice {
  info: AppInfo | null;
  ready: boolean;
  view: View;
  // Whether the user has opened a screen: the first screen chosen at start (the catalog with no model) leaves it.
  viewChosen: boolean;
  notices: Notice[];
  // The browser mode's link to its server; always 'open' in the desktop app.
  connection: ConnectionState;
  setView(view: View): void;
  notify(kind: Notice['kind'], text: string): void;
  dismiss(id: number): void;
  init(): Promise<void>;
}

let noticeId = 0;
export const INFO_NOTICE_MS = 6_000;
export const ERROR_NOTICE_MS = 15_000;

export const createAppSlice: SliceCreator<AppSlice> = (set, get, api) => ({
  info: null,
  ready: false,
  view: 'library',
  viewChosen: false,
  notices: [],
  connection: 'connecting',
  setView: (view) => set({ view, viewChosen: true }),
  notify: (kind, text) => {
    // The same news twice (several calls refused for one reason, say) is shown once.
    if (get().notices.some((n) => n.kind === kind && n.text === text)) return;
    const id = ++noticeId;
    set({ notices: [...get().notices, { id, kind, text }] });
    // Notices go on their own after a while (errors stay longer); the × dismisses them sooner.
    setTimeout(() => get().dismiss(id), kind === 'error' ? ERROR_NOTICE_MS : INFO_NOTICE_MS);
  },
  dismiss: (id) => set({ notices: get().notices.filter((n) => n.id !== id) }),
  async init() {
    // Back after a loss: what changed meanwhile (an import finished, an answer completed) is loaded again.
    api.connection((state) => {
      const was = get().connection;
      set({ connection: state });
      if (state === 'open' && was === 'lost') void Promise.all([get().loadSettings(), get().loadModels(), get().refreshLibrary(), get().loadConversations(), get().reloadConversation()]);
    });
    if (get().connection === 'needs-link' || get().connection === 'stale-link') {
      set({ ready: true });
      return;
    }
    try {
      const info = await api.call('app.info', {});
      set({ info });
      // A damaged database is said at once, before the screens that read it.
      await Promise.all([get().loadDatabase(), get().loadSettings(), get().loadModels(), get().refreshLibrary(), get().loadConversations()]);
      // What the device runs (a GPU probe on first use) is needed by the Models screen only: not awaited here.
      void get().loadChoices().catch(() => undefined);
      // Remote engines answer too (the Library's Ask, the new conversation's picker).
      void get().loadEngines().catch(() => undefined);
      api.on('library.changed', () => void get().refreshLibrary());
      api.on('library.progress', (progress) => get().onImportProgress(progress));
      api.on('settings.changed', (settings) => {
        const provider = get().settings?.provider;
        set({ settings });
        if (settings.provider !== provider) void get().loadChoices();
      });
      api.on('api.status', (status) => get().onApiStatus(status));
      api.on('chat.progress', (progress) => get().onProgress(progress));
      api.on('chat.delta', (delta) => get().onDelta(delta));
      api.on('models.progress', (progress) => get().onInstallProgress(progress));
      api.on('models.changed', () => void get().loadModels());
      api.on('models.selfCheckProgress', (progress) => get().onSelfCheckProgress(progress));
      api.on('models.verifyProgress', (progress) => get().onVerifyProgress(progress));
      // The engine died or came back: say so, and refresh what the Models screen shows about it.
      api.on('models.engineState', (event) => {
        if (event.state === 'exited') get().notify('error', `${event.reason}.`);
        else if (event.state === 'restarted') get().notify('info', 'The engine was restarted and the model loaded again.');
        else get().notify('error', event.reason ?? 'The engine could not be restarted.');
        void get().loadModels();
      });
      // With no model installed the first thing a user needs is the catalog, not an empty library. A screen the user
      // opened while this loaded stays open, the one it started on (the Library) included.
      set({ ready: true, ...(get().viewChosen ? {} : { view: get().installed.length === 0 ? 'models' : 'library' }) });
    } catch (error) {
      set({ ready: true });
      get().notify('error', (error as Error).message);
    }
  },
});
