import { Icon } from '../components/icons.tsx';
import { formatBytes, formatTokens } from '../components/format.ts';
import { useApp } from '../store/context.tsx';

export function ModelsView() {
  const catalog = useApp((s) => s.catalog);
  const installed = useApp((s) => s.installed);
  const settings = useApp((s) => s.settings);
  const updateSettings = useApp((s) => s.updateSettings);
  return (
    <section className="view" aria-labelledby="models-title">
      <header className="view-head">
        <div>
          <h1 id="models-title">Models</h1>
          <p className="subtle">Quire runs the model on this computer. Nothing you ask or import leaves it.</p>
        </div>
      </header>
      <h2 className="section-title">Installed</h2>
      {installed.length === 0 ? (
        <div className="empty-card" data-testid="no-models">
          <strong>No model installed yet.</strong>
          <span className="subtle">Pick one from the catalog below. Models are converted once on this machine and then load in seconds.</span>
        </div>
      ) : (
        <ul className="cards">
          {installed.map((model) => (
            <li key={model.id} className={`card${settings?.modelId === model.id ? ' selected' : ''}`}>
              <div className="card-head">
                <strong>{model.name}</strong>
                {model.demo ? <span className="badge warn" title="Random weights: produces meaningless text">Demo · meaningless text</span> : null}
              </div>
              <dl className="facts">
                <div><dt>Precision</dt><dd>{model.precision}</dd></div>
                <div><dt>Context</dt><dd>{formatTokens(model.contextTokens)}</dd></div>
                <div><dt>KV cache</dt><dd>{formatBytes(model.kvBytesPerToken)}/token</dd></div>
                <div><dt>On disk</dt><dd>{formatBytes(model.bytes)}</dd></div>
              </dl>
              <button type="button" className="button" disabled={settings?.modelId === model.id} onClick={() => void updateSettings({ modelId: model.id })}>
                {settings?.modelId === model.id ? 'In use' : 'Use this model'}
              </button>
            </li>
          ))}
        </ul>
      )}
      <h2 className="section-title">Catalog</h2>
      <ul className="cards" aria-label="Model catalog">
        {catalog.map((entry) => (
          <li key={entry.id} className="card">
            <div className="card-head">
              <strong>{entry.name}</strong>
              <span className="badge">{formatTokens(entry.nativeContext)} context</span>
            </div>
            <p className="card-text">{entry.description}</p>
            <dl className="facts">
              <div><dt>Parameters</dt><dd>{entry.parameters}</dd></div>
              <div><dt>Download</dt><dd>{formatBytes(entry.downloadBytes)}</dd></div>
              <div><dt>Source</dt><dd className="mono">{entry.hfRepo}</dd></div>
            </dl>
            <a className="licence" href={entry.licenceUrl} target="_blank" rel="noopener noreferrer">
              Licence: {entry.licence} <Icon name="external" size={13} />
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
