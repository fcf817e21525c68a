import type { ApiStatus, SavedCaches, Settings } from '../../../electron/common/contract.ts';
import type { SliceCreator } from './app-store.ts';

export interface SettingsSlice {
  settings: Settings | null;
  loadSettings(): Promise<void>;
  updateSettings(patch: Partial<Settings>): Promise<void>;
  // The in-app OpenAI-compatible API (Settings → API), kept current by its api.status events.
  apiStatus: ApiStatus | null;
  loadApiStatus(): Promise<void>;
  onApiStatus(status: ApiStatus): void;
  // Settings → Saved document caches: what they take on disk and the room they have.
  savedCaches: SavedCaches | null;
  loadSavedCaches(): Promise<void>;
  clearSavedCaches(): Promise<void>;
}

export const createSettingsSlice: SliceCreator<SettingsSlice> = (set, get, api) => ({
  settings: null,
  apiStatus: null,
  async loadApiStatus() {
    set({ apiStatus: await api.call('api.status', {}) });
  },
  onApiStatus: (apiStatus) => set({ apiStatus }),
  savedCaches: null,
  async loadSavedCaches() {
    set({ savedCaches: await api.call('settings.savedCaches', {}) });
  },
  async clearSavedCaches() {
    try {
      const { deleted } = await api.call('settings.clearSavedCaches', {});
      get().notify('info', `${deleted} saved ${deleted === 1 ? 'cache' : 'caches'} deleted; each document is read again at its next question`);
    } catch (error) {
      get().notify('error', (error as Error).message);
    }
    await get().loadSavedCaches();
  },
  async loadSettings() {
    set({ settings: await api.call('settings.get', {}) });
  },
  // Applied at once (controls answer the click, not the round trip), then replaced by what was stored; a
  // refused change puts the stored settings back.
  async updateSettings(patch) {
    const current = get().settings;
    if (current) set({ settings: { ...current, ...patch } });
    try {
      set({ settings: await api.call('settings.update', patch) });
      // Another provider runs other conversions (a GPU without 16-bit floats, say).
      if (patch.provider !== undefined) await get().loadChoices();
      if (patch.savedCacheBytes !== undefined) await get().loadSavedCaches();
    } catch (error) {
      set({ settings: current });
      get().notify('error', (error as Error).message);
    }
  },
});
