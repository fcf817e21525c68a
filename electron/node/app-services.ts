import { QuireError } from '../common/errors.ts';
import type { AppInfo } from '../common/contract.ts';
import { loadCatalog } from '../../models/catalog.ts';
import { openDatabase } from './db.ts';
import { DocumentStore } from './documents/store.ts';
import { EventBus } from './events.ts';
import { listInstalledModels } from './installed-models.ts';
import { databasePath, modelsDir } from './paths.ts';
import { createRouter, type Handlers } from './router.ts';
import { SettingsStore } from './settings.ts';
import { PRODUCT_VERSION } from './version.ts';

export interface AppServicesOptions {
  mode: AppInfo['mode'];
  root: string;
}

// The whole backend as plain Node objects: the desktop main process, the browser-mode server and the tests
// all build it the same way and talk to it only through the router.
export function createAppServices({ mode, root }: AppServicesOptions) {
  const db = openDatabase(databasePath(root));
  const settings = new SettingsStore(db);
  const documents = new DocumentStore(db, root);
  const bus = new EventBus();

  const handlers: Handlers = {
    'app.info': () => ({ name: 'Quire', version: PRODUCT_VERSION, mode, platform: process.platform, dataDir: root }),
    'settings.get': () => settings.get(),
    'settings.update': (patch) => {
      const next = settings.update(patch);
      bus.emit('settings.changed', next);
      return next;
    },
    'models.catalog': () => loadCatalog(),
    'models.installed': () => listInstalledModels(modelsDir(root)),
    'library.list': () => documents.list(),
    'library.import': async ({ name, bytes }) => {
      const imported = await documents.importBytes(name, bytes);
      bus.emit('library.changed', {});
      return imported;
    },
    'library.delete': ({ id }) => {
      if (!documents.get(id)) throw new QuireError('NOT_FOUND', `no document with id ${id}`);
      documents.delete(id);
      bus.emit('library.changed', {});
      return { deleted: true };
    },
  };

  return {
    router: createRouter(handlers),
    bus,
    close: () => db.close(),
  };
}

export type AppServices = ReturnType<typeof createAppServices>;
