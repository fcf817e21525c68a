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
  useEffect(() => void load().catch(() => undefined), [load]);
  if (!settings) return null;
  const served = settings.apiServer;
  return (
    <fieldset className="setting api-section" aria-labelledby="api-legend">
      <legend id="api-legend">API for other apps</legend>
      <label className="radio">
        <input type="checkbox" checked={served.enabled} onChange={(e) => void update({ apiServer: { ...served, enabled: e.target.checked } })} />
        <span>Serve this computer's model as an OpenAI-compatible API</span>
      </label>
      <NumberField id="api-port" label="Port" value={served.port} min={1024} max={65_535} use="Use this port" onUse={(port) => void update({ apiServer: { ...served, port } })} />
      <NumberField
        id="api-max-tokens"
        label="Answer limit"
        unit="tokens"
        title="However many tokens a request asks for, an answer ends here (finish_reason: length), so one request cannot hold the engine for hours and others wait less"
        value={served.maxTokens}
        min={1}
        max={32_768}
        use="Use this limit"
        onUse={(maxTokens) => void update({ apiServer: { ...served, maxTokens } })}
      />
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

// A whole number the API is served with, changed only when valid and applied by its button.
function NumberField(props: { id: string; label: string; unit?: string; title?: string; value: number; min: number; max: number; use: string; onUse(value: number): void }) {
  const { id, label, unit, title, value, min, max, use, onUse } = props;
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  const number = Number(text);
  const valid = text.trim() !== '' && Number.isInteger(number) && number >= min && number <= max;
  return (
    <>
      <div className="api-port" title={title}>
        <label htmlFor={id}>{label}</label>
        <input id={id} className="text-input mono" inputMode="numeric" value={text} aria-invalid={!valid} onChange={(e) => setText(e.target.value)} />
        {unit ? <span className="subtle">{unit}</span> : null}
        <button type="button" className="button small" disabled={!valid || number === value} onClick={() => onUse(number)}>
          {use}
        </button>
      </div>
      {!valid ? <p className="install-error" role="alert">{`${label}: a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}.`}</p> : null}
    </>
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
