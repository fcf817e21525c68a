import { useApp } from '../store/context.tsx';
import type { View } from '../store/app-slice.ts';
import { Icon, type IconName } from './icons.tsx';

const NAV: { view: View; label: string; icon: IconName; key: string }[] = [
  { view: 'library', label: 'Library', icon: 'library', key: '1' },
  { view: 'chat', label: 'Chat', icon: 'chat', key: '2' },
  { view: 'models', label: 'Models', icon: 'models', key: '3' },
  { view: 'settings', label: 'Settings', icon: 'settings', key: '4' },
];

export const NAV_SHORTCUTS = NAV.map(({ view, key }) => ({ view, key }));

export function Sidebar() {
  const view = useApp((s) => s.view);
  const setView = useApp((s) => s.setView);
  const model = useApp((s) => s.installed.find((m) => m.id === s.settings?.modelId) ?? s.installed[0]);
  const documents = useApp((s) => s.documents.length);
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">Q</span>
        <span className="brand-name">Quire</span>
      </div>
      <ul className="nav-list">
        {NAV.map((item) => (
          <li key={item.view}>
            <button
              type="button"
              className={`nav-item${view === item.view ? ' active' : ''}`}
              aria-current={view === item.view ? 'page' : undefined}
              onClick={() => setView(item.view)}
              title={`${item.label} (Ctrl+${item.key})`}
            >
              <Icon name={item.icon} />
              <span className="nav-label">{item.label}</span>
              {item.view === 'library' && documents > 0 ? <span className="nav-count">{documents}</span> : null}
            </button>
          </li>
        ))}
      </ul>
      <div className="sidebar-foot">
        <div className="foot-label">Model</div>
        <div className="foot-value" data-testid="current-model">{model ? model.name : 'None installed'}</div>
      </div>
    </nav>
  );
}
