import { useEffect, useState } from 'react';
import { useApp } from '../store/context.tsx';

// Settings → API: Quire's engine for other apps on this computer (editors, scripts, any OpenAI client), with
// its address and key to copy. Requests take turns with the user's own questions on the one engine.
export function ApiSection() {
  const settings = useApp((s) => s.settings);
  const status = useApp((s) => s.apiStatus);
  const load = useApp((s) => s.loadApiStatus);
  const update = useApp((s) => s.updateSettings);
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
