import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiClient } from '../api/client.ts';
import { createAppSlice, type AppSlice } from './app-slice.ts';
import { createChatSlice, type ChatSlice } from './chat-slice.ts';
import { createDatabaseSlice, type DatabaseSlice } from './database-slice.ts';
import { createEnginesSlice, type EnginesSlice } from './engines-slice.ts';
import { createLibrarySlice, type LibrarySlice } from './library-slice.ts';
import { createModelsSlice, type ModelsSlice } from './models-slice.ts';
import { createPassageSlice, type PassageSlice } from './passage-slice.ts';
import { createSettingsSlice, type SettingsSlice } from './settings-slice.ts';
import { createViewerSlice, type ViewerSlice } from './viewer-slice.ts';

export type AppState = AppSlice & LibrarySlice & ModelsSlice & SettingsSlice & ChatSlice & ViewerSlice & EnginesSlice & PassageSlice & DatabaseSlice;
export type AppStore = StoreApi<AppState>;
export type SliceCreator<T> = (set: StoreApi<AppState>['setState'], get: StoreApi<AppState>['getState'], api: ApiClient) => T;

// One store assembled from slices; every action talks to the backend only through the injected client, so
// component tests pass a fake client and the browser tests the real one.
export function createAppStore(api: ApiClient): AppStore {
  return createStore<AppState>()((set, get) => ({
    ...createAppSlice(set, get, api),
    ...createLibrarySlice(set, get, api),
    ...createModelsSlice(set, get, api),
    ...createSettingsSlice(set, get, api),
    ...createChatSlice(set, get, api),
    ...createViewerSlice(set, get, api),
    ...createEnginesSlice(set, get, api),
    ...createPassageSlice(set, get, api),
    ...createDatabaseSlice(set, get, api),
  }));
}
