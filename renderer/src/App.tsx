import { useEffect, useLayoutEffect, useRef } from 'react';
import { Sidebar, NAV_SHORTCUTS } from './components/Sidebar.tsx';
import { ChatView } from './features/chat/ChatView.tsx';
import { DatabaseBanner } from './features/DatabaseBanner.tsx';
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
  const connection = useApp((s) => s.connection);
  const damaged = useApp((s) => s.database?.damaged ?? false);
  const content = useRef<HTMLElement>(null);
  useTheme(theme);
  // One scroll area holds every screen: a screen opens at its top, not where the previous one was scrolled to.
  useLayoutEffect(() => {
    if (content.current) content.current.scrollTop = 0;
  }, [view]);
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
  // Without a valid link the page knows nothing of the library: say so rather than show an empty one.
  if (connection === 'needs-link' || connection === 'stale-link') return <NeedsLink stale={connection === 'stale-link'} />;
  return (
    <div className={`shell${damaged ? ' with-banner' : ''}`}>
      <DatabaseBanner />
      {connection === 'lost' ? (
        <div className="connection-lost" role="alert">
          Quire has stopped. Reconnecting… (if you started it again, open the link it printed).
        </div>
      ) : null}
      <Sidebar />
      <main ref={content} className="content" aria-busy={!ready}>
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

function NeedsLink({ stale }: { stale: boolean }) {
  return (
    <main className="needs-link" aria-labelledby="needs-link-title">
      <div className="needs-link-card">
        <h1 id="needs-link-title">{stale ? 'This link is from an earlier run of Quire' : 'This page needs the link Quire printed'}</h1>
        <p>
          Quire&apos;s browser mode opens only through the private link printed by <code>quire serve</code> (or{' '}
          <code>npm run serve</code>) each time it starts — it looks like <code>http://127.0.0.1:PORT/#token=…</code>.
        </p>
        <p>{stale ? 'Quire was restarted since this page was opened: open the link it printed this time.' : 'Open that link, or start Quire again to get a new one.'}</p>
        <p className="subtle">Your documents and conversations are safe; this page just cannot reach them without the link.</p>
      </div>
    </main>
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
