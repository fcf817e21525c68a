import { act, cleanup, render } from '@testing-library/react';
import { afterEach, beforeAll } from 'vitest';
import { App } from '../../renderer/src/App.tsx';
import { createClient } from '../../renderer/src/api/client.ts';
import { ipcTransport } from '../../renderer/src/api/ipc-transport.ts';
import { createAppStore, type AppStore } from '../../renderer/src/store/app-store.ts';
import { StoreProvider } from '../../renderer/src/store/context.tsx';
import type { fakeBackend } from './fake-backend.ts';

// jsdom has no matchMedia (the theme follows the system's); every component suite mounts the whole app the
// same way, on a store whose client talks to the fake backend as the desktop app's does to its bridge.
beforeAll(() => {
  window.matchMedia ??= ((query: string) => ({ matches: false, media: query, addEventListener() {}, removeEventListener() {} })) as never;
});
afterEach(cleanup);

// `prepare` runs on the store before the page is drawn, as main.tsx's set-up does.
export async function mountApp(backend: ReturnType<typeof fakeBackend>, prepare?: (store: AppStore) => void) {
  const store = createAppStore(createClient(ipcTransport(backend.transport)));
  prepare?.(store);
  render(
    <StoreProvider store={store}>
      <App />
    </StoreProvider>,
  );
  await act(() => store.getState().init());
  return store;
}
