import { useEffect, useState } from 'react';
import { useApp } from '../store/context.tsx';
import { apiExamples } from './api-examples.ts';

// Settings → API: Quire's engine for other apps on this computer (editors, scripts, any OpenAI client), with
// its address and key to copy. Requests take turns with the user's own questions on the one engine.
export function ApiSection() {
  const settings = useApp((s) => s.settings);
  const status = useApp((s) => s.apiStatus);
  const load = useApp((s) => s.loadApiStatus);
  const update = useApp((s) => s.updateSettings);
  // The model the API serves: the one in use here.
  const model = useApp((s) => s.settings?.modelId ?? s.installed[0]?.id ?? null);
  const [port, setPort] = useState('');
  useEffect(() => void load().catch(() => undefined), [load]);
  useEffect(() => setPort(String(settings?.apiServer.port ?? '')), [settings?.apiServer.port]);
  if (!settings) return null;
  const { enabled } = settings.apiServer;
  const portNumber = Number(port);
  const portValid = Number.isInteger(portNumber) && portNumber >= 1024 && portNumber <= 65_535;
  return (
    <fieldset className="setting api-section" aria-labelledby="api-legend">
      <legend id="api-legend">API for other apps</legend>
      <label className="radio">
        <input type="checkbox" checked={enabled} onChange={(e) => void update({ apiServer: { enabled: e.target.checked, port: settings.apiServer.port } })} />
        <span>Serve this computer's model as an OpenAI-compatible API</span>
      </label>
      <div className="api-port">
        <label htmlFor="api-port">Port</label>
        <input id="api-port" className="text-input mono" inputMode="numeric" value={port} aria-invalid={!portValid} onChange={(e) => setPort(e.target.value)} />
        <button type="button" className="button small" disabled={!portValid || portNumber === settings.apiServer.port} onClick={() => void update({ apiServer: { enabled, port: portNumber } })}>
          Use this port
        </button>
      </div>
      {!portValid ? <p className="install-error" role="alert">A port from 1024 to 65535.</p> : null}
      {status?.state === 'running' ? (
        <dl className="facts" data-testid="api-status">
          <CopyFact label="Address" value={status.url!} />
          <CopyFact label="Key" value={status.key!} />
        </dl>
      ) : status?.state === 'failed' ? (
        <p className="compute-warning" role="status">The API could not start: {status.error}</p>
      ) : null}
      {status?.state === 'running' && model ? <ApiExamples url={status.url!} apiKey={status.key!} model={model} /> : null}
      <p className="hint">
        Only apps on this computer can reach it, with the key. Their requests wait for your own questions (one engine answers at a time), and a
        document they send twice is read once: its cache is kept, also across restarts.
      </p>
    </fieldset>
  );
}

// One fact of the running API, with a button that copies it for another app.
function CopyFact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd className="mono">
        {value} <button type="button" className="button small" onClick={() => void navigator.clipboard?.writeText(value).catch(() => undefined)}>Copy</button>
      </dd>
    </div>
  );
}

// A first request, in curl and in Python, with this API's address, key and model filled in.
function ApiExamples({ url, apiKey, model }: { url: string; apiKey: string; model: string }) {
  const examples = apiExamples(url, apiKey, model);
  const [shown, setShown] = useState<'curl' | 'python'>('curl');
  return (
    <div className="api-examples" data-testid="api-examples">
      <div className="api-example-tabs" role="group" aria-label="Example request">
        <span className="subtle">Example request</span>
        {(['curl', 'python'] as const).map((kind) => (
          <button key={kind} type="button" className="button small" aria-pressed={shown === kind} onClick={() => setShown(kind)}>
            {kind === 'curl' ? 'curl' : 'Python'}
          </button>
        ))}
        <button type="button" className="link-button" onClick={() => void navigator.clipboard?.writeText(examples[shown]).catch(() => undefined)}>Copy</button>
      </div>
      <pre className="api-example mono" aria-label={`Example request in ${shown === 'curl' ? 'curl' : 'Python'}`}>{examples[shown]}</pre>
    </div>
  );
}
