import type { Settings } from '../../../electron/common/contract.ts';
import type { SliceCreator } from './app-store.ts';

export interface SettingsSlice {
  settings: Settings | null;
  loadSettings(): Promise<void>;
  updateSettings(patch: Partial<Settings>): Promise<void>;
}

export const createSettingsSlice: SliceCreator<SettingsSlice> = (set, get, api) => ({
  settings: null,
  async loadSettings() {
    set({ settings: await api.call('settings.get', {}) });
  },
  async updateSettings(patch) {
    try {
      set({ settings: await api.call('settings.update', patch) });
    } catch (error) {
      get().notify('error', (error as Error).message);
    }
  },
});
