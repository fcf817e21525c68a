import { createRoot } from 'react-dom/client';
import type { QuireBridge } from '../../electron/common/bridge.ts';
import { App } from './App.tsx';
import { createClient, type Transport } from './api/client.ts';
import { ipcTransport } from './api/ipc-transport.ts';
import { takeToken, wsTransport } from './api/ws-transport.ts';
import { createAppStore } from './store/app-store.ts';
import { keepDraft } from './store/draft-keeper.ts';
import { StoreProvider } from './store/context.tsx';
import './styles.css';

// Desktop: the preload's bridge. Browser mode: the server's WebSocket, authorised by the per-run token.
function pickTransport(): Transport {
  const bridge = (window as unknown as { quire?: QuireBridge }).quire;
  if (bridge) return ipcTransport(bridge);
  return wsTransport(window.location.host, takeToken(window.location, window.sessionStorage, window.history));
}

// A new link pasted into this tab only changes the fragment, which does not reload the page: start over with it.
window.addEventListener('hashchange', () => {
  if (/(?:^#|&)token=/.test(window.location.hash)) window.location.reload();
});

const store = createAppStore(createClient(pickTransport()));
keepDraft(store, window.sessionStorage);
void store.getState().init();
createRoot(document.getElementById('root')!).render(
  <StoreProvider store={store}>
    <App />
  </StoreProvider>,
);
