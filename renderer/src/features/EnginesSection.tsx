import { useEffect, useState, type FormEvent } from 'react';
import type { RemoteEngine, RemoteModelInfo, SecretProtection } from '../../../electron/common/contract.ts';
import { needsInsecureConsent } from '../../../electron/common/engine-url.ts';
import { formatTokens, parseTokens } from '../../../electron/common/format.ts';
import { MAX_STATED_CONTEXT } from '../../../electron/common/contract.ts';
import { ConfirmButton } from '../components/ConfirmButton.tsx';
import { SECRET_KEPT } from '../components/format.ts';
import { useApp } from '../store/context.tsx';


// Plain http to another machine (what needs the user's consent); false while the URL is not yet one.
function cleartextHost(url: string): string | null {
  try {
    const parsed = new URL(url.trim());
    return needsInsecureConsent(parsed) ? parsed.host : null;
  } catch {
    return null;
  }
}

// Settings → Engines: OpenAI-compatible servers (vLLM, …) a conversation may run on instead of this computer.
export function EnginesSection() {
  const engines = useApp((s) => s.engines);
  const info = useApp((s) => s.info);
  const load = useApp((s) => s.loadEngines);
  const notify = useApp((s) => s.notify);
  useEffect(() => void load().catch((error: Error) => notify('error', error.message)), [load, notify]);
  // Where a key will be kept: as the stored ones are, else as this app keeps secrets.
  const protection = engines[0]?.protection ?? (info?.mode === 'desktop' ? 'os-keychain' : 'user-only-file');
  return (
    <fieldset className="setting engines-setting">
      <legend>Engines</legend>
      <p className="hint">
        Quire answers on this computer. An engine is a server with an OpenAI-compatible API (vLLM, SGLang, llama.cpp’s server…) that a
        conversation can use instead, for a context longer than this computer holds. Its documents are then sent to that server.
      </p>
      {engines.length === 0 ? (
        <p className="subtle">No engines yet.</p>
      ) : (
        <ul className="engine-list" aria-label="Engines">
          {engines.map((engine) => (
            <EngineRow key={engine.id} engine={engine} />
          ))}
        </ul>
      )}
      <AddEngineForm protection={protection} />
    </fieldset>
  );
}

function EngineRow({ engine }: { engine: RemoteEngine }) {
  const check = useApp((s) => s.engineChecks[engine.id]);
  const test = useApp((s) => s.testEngine);
  const remove = useApp((s) => s.removeEngine);
  return (
    <li className="engine-row" aria-label={engine.name}>
      <div className="engine-row-head">
        <strong>{engine.name}</strong>
        <span className="mono subtle">{engine.baseUrl}</span>
        {engine.insecure ? <span className="badge warn">unencrypted http</span> : null}
      </div>
      <p className="hint">
        Documents are sent to <strong>{engine.host}</strong>. {engine.hasKey ? `API key kept ${SECRET_KEPT[engine.protection]}.` : 'No API key.'}
      </p>
      <div className="card-actions">
        <button type="button" className="button small" disabled={check?.running} onClick={() => void test(engine.id)}>
          {check?.running ? 'Testing…' : check?.models ? 'Refresh' : 'Test'}
        </button>
        <EngineKey engine={engine} />
        <ConfirmButton
          label={`Remove ${engine.name}`}
          question={`Remove ${engine.name} and its key?`}
          confirm="Remove"
          className="button small danger"
          onConfirm={() => void remove(engine.id)}
        >
          Remove
        </ConfirmButton>
      </div>
      {check?.error ? (
        <p className="install-error" role="alert">
          {check.error}
        </p>
      ) : null}
      {check?.models ? <EngineModels engineId={engine.id} models={check.models} /> : null}
    </li>
  );
}

// Add, replace or (saved empty) remove an engine's API key, in place.
function EngineKey({ engine }: { engine: RemoteEngine }) {
  const setKey = useApp((s) => s.setEngineKey);
  const [replacing, setReplacing] = useState(false);
  const [key, setKeyText] = useState('');
  if (!replacing) {
    return (
      <button type="button" className="button small" onClick={() => setReplacing(true)}>
        {engine.hasKey ? 'Replace key' : 'Add key'}
      </button>
    );
  }
  return (
    <form
      className="card-actions"
      onSubmit={(e) => {
        e.preventDefault();
        void setKey(engine.id, key || null).then((ok) => {
          if (ok) {
            setReplacing(false);
            setKeyText('');
          }
        });
      }}
    >
      <input className="text-input" type="password" autoComplete="off" aria-label={`New API key for ${engine.name}`} value={key} onChange={(e) => setKeyText(e.target.value)} />
      <button type="submit" className="button small">{key ? 'Save key' : 'Remove key'}</button>
      <button type="button" className="button small" onClick={() => setReplacing(false)}>
        Cancel
      </button>
    </form>
  );
}

// What the engine's server listed when tested.
function EngineModels({ engineId, models }: { engineId: string; models: RemoteModelInfo[] }) {
  if (models.length === 0) return <p className="hint">The server lists no models.</p>;
  return (
    <table className="doc-table engine-models">
      <thead>
        <tr>
          <th>Model</th>
          <th className="num">Longest context</th>
        </tr>
      </thead>
      <tbody>
        {models.map((m) => (
          <tr key={m.id}>
            <td className="mono">{m.id}</td>
            <td className="num">{m.maxModelLen === null || m.contextStated ? <StatedContext engineId={engineId} model={m} /> : `${formatTokens(m.maxModelLen)} tokens`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// A model whose server does not say its context: the user says it (the fit check and the self-check need it),
// and may change or forget what they said; what a server reports is never overridden.
function StatedContext({ engineId, model }: { engineId: string; model: RemoteModelInfo }) {
  const save = useApp((s) => s.setEngineContext);
  const [draft, setDraft] = useState<string | null>(model.contextStated ? null : '');
  if (draft === null && model.maxModelLen !== null) {
    return (
      <span className="stated-context">
        {formatTokens(model.maxModelLen)} tokens <span className="subtle">(as you stated)</span>{' '}
        <button type="button" className="link-button" onClick={() => setDraft(String(model.maxModelLen))}>Change</button>
      </span>
    );
  }
  const text = draft ?? '';
  const tokens = parseTokens(text);
  const error = text.trim() === '' ? null : tokens === null ? 'a number of tokens, like 131072 or 128K' : tokens < 256 || tokens > MAX_STATED_CONTEXT ? `from 256 to ${formatTokens(MAX_STATED_CONTEXT)}` : null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (tokens !== null && !error && (await save(engineId, model.id, tokens))) setDraft(null);
  };
  return (
    <form className="stated-context" aria-label={`Context of ${model.id}`} onSubmit={(e) => void submit(e)}>
      <span className="subtle">Not reported by the server; it runs with</span>{' '}
      <input className="text-input mono small" aria-label={`Context ${model.id} runs with`} placeholder="e.g. 128K" value={text} onChange={(e) => setDraft(e.target.value)} />{' '}
      <button type="submit" className="button small" disabled={tokens === null || error !== null}>Save</button>
      {model.contextStated ? (
        <button type="button" className="link-button" onClick={() => void save(engineId, model.id, null).then((ok) => ok && setDraft(''))}>Forget</button>
      ) : null}
      {error ? <span className="install-error" role="alert">{error}</span> : null}
    </form>
  );
}

function AddEngineForm({ protection }: { protection: SecretProtection }) {
  const add = useApp((s) => s.addEngine);
  const error = useApp((s) => s.engineAddError);
  const [name, setName] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [allowHttp, setAllowHttp] = useState(false);
  const [busy, setBusy] = useState(false);
  const cleartext = cleartextHost(baseUrl);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const added = await add({ name: name.trim(), baseUrl: baseUrl.trim(), ...(apiKey ? { apiKey } : {}), allowInsecureHttp: cleartext !== null && allowHttp });
    setBusy(false);
    if (added) {
      setName('');
      setBaseUrl('');
      setApiKey('');
      setAllowHttp(false);
    }
  };
  return (
    <form className="engine-form" aria-label="Add an engine" onSubmit={(e) => void submit(e)}>
      <h3 className="section-title">Add an engine</h3>
      <label>
        <span>Name</span>
        <input className="text-input" required maxLength={100} placeholder="Lab cluster" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        <span>Base URL</span>
        <input className="text-input mono" required maxLength={2048} placeholder="https://gpu.example.org:8000/v1" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} />
      </label>
      <label>
        <span>API key</span>
        <input className="text-input" type="password" autoComplete="off" placeholder="optional" value={apiKey} onChange={(e) => setApiKey(e.target.value)} />
      </label>
      {cleartext ? (
        <div className="compute-warning">
          <label className="radio">
            <input type="checkbox" checked={allowHttp} onChange={(e) => setAllowHttp(e.target.checked)} />
            <span>Allow plain http to this machine</span>
          </label>
          <p>
            {cleartext} is reached without encryption: your documents and questions would travel unencrypted, readable by anyone on the
            network in between. Use https where the server offers it.
          </p>
        </div>
      ) : null}
      <p className="hint">The key will be kept {SECRET_KEPT[protection]} and sent only to this server. Quire lists the server’s models before saving anything.</p>
      <div className="card-actions">
        <button type="submit" className="button primary" disabled={busy || (cleartext !== null && !allowHttp)}>
          {busy ? 'Connecting…' : 'Add engine'}
        </button>
      </div>
      {error ? (
        <p className="install-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
