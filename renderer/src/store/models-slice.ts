import type { CatalogEntry, InstalledModel } from '../../../electron/common/contract.ts';
import type { SliceCreator } from './app-store.ts';

export interface ModelsSlice {
  catalog: CatalogEntry[];
  installed: InstalledModel[];
  loadModels(): Promise<void>;
}

export const createModelsSlice: SliceCreator<ModelsSlice> = (set, _get, api) => ({
  catalog: [],
  installed: [],
  async loadModels() {
    const [catalog, installed] = await Promise.all([api.call('models.catalog', {}), api.call('models.installed', {})]);
    set({ catalog, installed });
  },
});
