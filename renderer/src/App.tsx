import { useEffect } from 'react';
import { Sidebar, NAV_SHORTCUTS } from './components/Sidebar.tsx';
import { ChatView } from './features/chat/ChatView.tsx';
import { LibraryView } from './features/LibraryView.tsx';
import { ModelsView } from './features/ModelsView.tsx';
import { SettingsView } from './features/SettingsView.tsx';
import { DocumentViewer } from './features/viewer/DocumentViewer.tsx';
import { useApp } from './store/context.tsx';

export function App() {
  const ready = useApp((s) => s.ready);
  const view = useApp((s) => s.view);
  const theme = useApp((s) => s.settings?.theme ?? 'system');
  const setView = useApp((s) => s.setView);
  useTheme(theme);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      const target = NAV_SHORTCUTS.find((s) => s.key === event.key);
      if (target) {
        event.preventDefault();
        setView(target.view);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [setView]);
  return (
    <div className="shell">
      <Sidebar />
      <main className="content" aria-busy={!ready}>
        {!ready ? <div className="loading" role="status">Opening Quire…</div> : null}
        {ready && view === 'library' ? <LibraryView /> : null}
        {ready && view === 'chat' ? <ChatView /> : null}
        {ready && view === 'models' ? <ModelsView /> : null}
        {ready && view === 'settings' ? <SettingsView /> : null}
      </main>
      <DocumentViewer />
      <Notices />
    </div>
  );
}

function Notices() {
  const notices = useApp((s) => s.notices);
  const dismiss = useApp((s) => s.dismiss);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice ${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'}>
          <span>{n.text}</span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(n.id)}>×</button>
        </div>
      ))}
    </div>
  );
}

function useTheme(theme: 'system' | 'light' | 'dark') {
  useEffect(() => {
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const apply = () => {
      document.documentElement.dataset.theme = theme === 'system' ? (media.matches ? 'dark' : 'light') : theme;
    };
    apply();
    media.addEventListener('change', apply);
    return () => media.removeEventListener('change', apply);
  }, [theme]);
}
