// Settings and the app's identity: reading and changing the settings (a model must be installed to be chosen;
// the API server follows its switch at once).
import { QuireError } from '../../common/errors.ts';
import type { Settings } from '../../common/contract.ts';
import { listInstalledModels } from '../installed-models.ts';
import { modelsDir } from '../paths.ts';
import { PRODUCT_VERSION } from '../version.ts';
import type { AppContext, DomainHandlers } from './context.ts';

export function settingsHandlers(
  { mode, root, bus, settings, runtime }: AppContext,
  onApiSwitch: (apiServer: Settings['apiServer']) => void,
): DomainHandlers<'app.info' | 'settings.get' | 'settings.update' | 'settings.savedCaches' | 'settings.clearSavedCaches'> {
  return {
    'app.info': () => ({ name: 'Quire', version: PRODUCT_VERSION, mode, platform: process.platform, dataDir: root }),
    'settings.get': () => settings.get(),
    'settings.update': async (patch) => {
      // A model that is not installed is refused, not silently replaced by another at the next question.
      if (patch.modelId && !listInstalledModels(modelsDir(root)).some((m) => m.id === patch.modelId)) {
        throw new QuireError('NOT_FOUND', `no installed model with id ${patch.modelId}`);
      }
      const next = settings.update(patch);
      bus.emit('settings.changed', next);
      if (patch.apiServer) onApiSwitch(next.apiServer);
      // A lower limit applies at once, not at the next save.
      if (patch.savedCacheBytes !== undefined) await runtime.store.trim();
      return next;
    },
    'settings.savedCaches': () => runtime.store.usage(),
    'settings.clearSavedCaches': async () => ({ deleted: await runtime.store.clear() }),
  };
}
