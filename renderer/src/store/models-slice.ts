import type { CatalogEntry, CatalogFitReport, ConversionChoices, EngineStatus, EventPayload, HubTokenState, InstalledModel, InstallProgress, InstallRequest, NiahCell, RemoteChoice, SelfCheckResult } from '../../../electron/common/contract.ts';
import type { QuireError } from '../../../electron/common/errors.ts';
import type { SliceCreator } from './app-store.ts';

export interface InstallJob {
  progress: InstallProgress | null;
  error: string | null;
}

// "Verify" on an installed model: its files read back against the checksums of its conversion.
export interface Verification {
  running: boolean;
  doneBytes: number;
  totalBytes: number;
  // The outcome: ok, unchecked (converted before checksums) or failed (damaged, with the repair).
  status: 'ok' | 'unchecked' | 'failed' | null;
  message: string | null;
}

// The full check a load makes of a model whose files changed since they were verified (a question waits on it):
// its progress, or what it found wrong. Gone once it passed.
export interface LoadCheck {
  doneBytes: number;
  totalBytes: number;
  error: string | null;
}

export interface ModelsSlice {
  catalog: CatalogEntry[];
  installed: InstalledModel[];
  engine: EngineStatus | null;
  // What the chosen provider can convert and run (follows Settings → Compute).
  choices: ConversionChoices | null;
  installs: Record<string, InstallJob>;
  // What each catalog model would be on this machine (tokens per cache, disk, time), asked when shown.
  catalogFit: CatalogFitReport | null;
  loadCatalogFit(): Promise<void>;
  // The catalog card the fit panel sent the user to: shown in view and marked when the Models screen opens.
  catalogFocus: string | null;
  // Downloads paused or stopped before their conversion, by model id: bytes on disk; installing resumes them.
  pausedDownloads: Record<string, number>;
  loadPausedDownloads(): Promise<void>;
  showInCatalog(id: string): void;
  selfCheck: { running: boolean; done: number; total: number; cells: NiahCell[]; result: SelfCheckResult | null; error: string | null };
  verifications: Record<string, Verification>;
  loadChecks: Record<string, LoadCheck>;
  // Whether a Hugging Face access token is saved, and how it is kept (the token never comes back here).
  hubToken: HubTokenState | null;
  loadHubToken(): Promise<void>;
  // Saves the token, or removes it with null; says whether it worked.
  saveHubToken(token: string | null): Promise<boolean>;
  loadModels(): Promise<void>;
  loadChoices(): Promise<void>;
  // What the engine runs on now (Settings → Compute shows it).
  refreshEngine(): Promise<void>;
  installModel(id: string, request: InstallRequest): Promise<void>;
  cancelInstall(id: string): Promise<void>;
  removeModel(id: string): Promise<void>;
  onInstallProgress(progress: InstallProgress): void;
  // On a remote engine's model where given, else on the local model.
  runSelfCheck(engine?: RemoteChoice | null): Promise<void>;
  cancelSelfCheck(): Promise<void>;
  onSelfCheckProgress(progress: { cell: NiahCell; done: number; total: number }): void;
  verifyModel(id: string): Promise<void>;
  onVerifyProgress(progress: EventPayload<'models.verifyProgress'>): void;
}

// The slice in four pieces, each with the state it owns and the actions on it.
export const createModelsSlice: SliceCreator<ModelsSlice> = (set, get, api) => ({
  ...createModelList(set, get, api),
  ...createInstalls(set, get, api),
  ...createSelfCheck(set, get, api),
  ...createVerifications(set, get, api),
});

// What can be installed, what is, and what runs it.
const createModelList: SliceCreator<
  Pick<ModelsSlice, 'catalog' | 'installed' | 'engine' | 'choices' | 'catalogFit' | 'loadCatalogFit' | 'catalogFocus' | 'showInCatalog' | 'hubToken' | 'loadHubToken' | 'saveHubToken' | 'loadModels' | 'loadChoices' | 'refreshEngine'>
> = (set, get, api) => ({
  catalog: [],
  installed: [],
  engine: null,
  choices: null,
  catalogFit: null,
  async loadCatalogFit() {
    set({ catalogFit: await api.call('models.catalogFit', {}) });
  },
  catalogFocus: null,
  showInCatalog: (id) => set({ catalogFocus: id, view: 'models' }),
  hubToken: null,
  async loadHubToken() {
    set({ hubToken: await api.call('models.hubToken', {}) });
  },
  async saveHubToken(token) {
    try {
      set({ hubToken: await api.call('models.setHubToken', { token }) });
      return true;
    } catch (error) {
      get().notify('error', (error as Error).message);
      return false;
    }
  },
  async loadModels() {
    const [catalog, installed, engine] = await Promise.all([api.call('models.catalog', {}), api.call('models.installed', {}), api.call('models.engine', {})]);
    set({ catalog, installed, engine });
  },
  async loadChoices() {
    set({ choices: await api.call('models.choices', {}) });
  },
  async refreshEngine() {
    set({ engine: await api.call('models.engine', {}) });
  },
});

const createInstalls: SliceCreator<Pick<ModelsSlice, 'installs' | 'pausedDownloads' | 'loadPausedDownloads' | 'installModel' | 'cancelInstall' | 'removeModel' | 'onInstallProgress'>> = (set, get, api) => {
  const setJob = (id: string, job: InstallJob | null) => {
    const installs = { ...get().installs };
    if (job) installs[id] = job;
    else delete installs[id];
    set({ installs });
  };
  return {
    installs: {},
    pausedDownloads: {},
    async loadPausedDownloads() {
      const paused = await api.call('models.pausedDownloads', {});
      set({ pausedDownloads: Object.fromEntries(paused.map((p) => [p.id, p.bytes])) });
    },
    async installModel(id, request) {
      setJob(id, { progress: null, error: null });
      try {
        await api.call('models.install', request);
        setJob(id, null);
        await get().loadModels();
        await get().refreshLibrary();
      } catch (error) {
        // Paused (cancelled while downloading) is the user's choice: the card offers Resume, not an error.
        if ((error as QuireError).code === 'CANCELLED') setJob(id, null);
        else setJob(id, { progress: null, error: (error as Error).message });
      }
      await get().loadPausedDownloads().catch(() => undefined);
    },
    async cancelInstall(id) {
      await api.call('models.cancelInstall', { id });
    },
    async removeModel(id) {
      await api.call('models.remove', { id });
      await get().loadModels();
      await get().refreshLibrary();
    },
    onInstallProgress(progress) {
      setJob(progress.id, { progress, error: null });
    },
  };
};

const IDLE_SELF_CHECK = { running: false, done: 0, total: 0, cells: [], result: null, error: null };

const createSelfCheck: SliceCreator<Pick<ModelsSlice, 'selfCheck' | 'runSelfCheck' | 'cancelSelfCheck' | 'onSelfCheckProgress'>> = (set, get, api) => ({
  selfCheck: IDLE_SELF_CHECK,
  async runSelfCheck(engine) {
    set({ selfCheck: { ...IDLE_SELF_CHECK, running: true } });
    try {
      const result = await api.call('models.selfCheck', engine ? { engine } : {});
      set({ selfCheck: { ...get().selfCheck, running: false, result } });
    } catch (error) {
      // Cancelled by the user: nothing went wrong, the check just goes.
      const cancelled = (error as QuireError).code === 'CANCELLED';
      set({ selfCheck: cancelled ? IDLE_SELF_CHECK : { ...get().selfCheck, running: false, error: (error as Error).message } });
    }
    set({ engine: await api.call('models.engine', {}) });
  },
  async cancelSelfCheck() {
    await api.call('models.cancelSelfCheck', {});
  },
  onSelfCheckProgress({ cell, done, total }) {
    const current = get().selfCheck;
    if (current.running) set({ selfCheck: { ...current, done, total, cells: [...current.cells, cell] } });
  },
});

// "Verify" asked by the user, and the check a load makes of changed files.
const createVerifications: SliceCreator<Pick<ModelsSlice, 'verifications' | 'loadChecks' | 'verifyModel' | 'onVerifyProgress'>> = (set, get, api) => ({
  verifications: {},
  loadChecks: {},
  async verifyModel(id) {
    const put = (v: Partial<Verification>) => set({ verifications: { ...get().verifications, [id]: { ...get().verifications[id], ...v } as Verification } });
    put({ running: true, doneBytes: 0, totalBytes: 0, status: null, message: null });
    try {
      const { status, message } = await api.call('models.verify', { id });
      put({ running: false, status, message });
      // Verified whole now: what a check at load found earlier no longer holds.
      if (status === 'ok') set({ loadChecks: Object.fromEntries(Object.entries(get().loadChecks).filter(([other]) => other !== id)) });
    } catch (error) {
      put({ running: false, status: 'failed', message: (error as Error).message });
    }
  },
  onVerifyProgress({ id, doneBytes, totalBytes, atLoad, error }) {
    if (atLoad) {
      const { [id]: _done, ...others } = get().loadChecks;
      set({ loadChecks: doneBytes >= totalBytes && !error ? others : { ...others, [id]: { doneBytes, totalBytes, error: error ?? null } } });
      return;
    }
    const current = get().verifications[id];
    if (current?.running) set({ verifications: { ...get().verifications, [id]: { ...current, doneBytes, totalBytes } } });
  },
});

// The check a load is making now, which the question being asked waits on; null when none runs.
export function runningLoadCheck(state: Pick<ModelsSlice, 'loadChecks'>): LoadCheck | null {
  return Object.values(state.loadChecks).find((check) => check.error === null) ?? null;
}
