import type { AppInfo, Settings } from '../../../electron/common/contract.ts';
import { CONTEXT_CHOICES, kvBytesPerToken, offeredKvDtypes, USER_KV_DTYPES, type KvDtype } from '../../../models/model-spec.ts';
import { formatBytes, formatTokens } from '../../../electron/common/format.ts';
import { useApp } from '../store/context.tsx';
import { readOnlyReason } from '../store/database-slice.ts';
import { EnginesSection } from './EnginesSection.tsx';
import { ApiSection } from './ApiSection.tsx';
import { AnswerStyleSection } from './AnswerStyleSection.tsx';
import { ANSWER_CHOICES } from './answer-style-form.tsx';
import { SavedCachesSection } from './SavedCachesSection.tsx';
import { computeLabel, useEngineStatus } from './engine-status.ts';

const THEMES: { value: Settings['theme']; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

// Bytes per token for Llama-3.1-8B (32 layers × 8 KV heads × 128 dims × K and V), from the spec; shown so the
// choice has a concrete cost. The models screen shows the exact figure of the installed model.
const LLAMA_8B = { layers: 32, kvHeads: 8, headDim: 128 };
const KV_NOTES: Record<KvDtype, string> = {
  fp32: 'on an 8B model — exact, for GPUs without 16-bit floats',
  fp16: 'on an 8B model — exact',
  int8: 'twice the context in the same memory',
  int4: 'four times the context, some quality cost',
};
// The caches this machine's provider runs (model-spec.ts offeredKvDtypes), before the choices are known the user's.
function kvChoices(offered: readonly KvDtype[]) {
  return offered.map((value) => ({ value, label: value.toUpperCase(), note: `${kvBytesPerToken(LLAMA_8B, value) / 1024} KiB per token — ${KV_NOTES[value]}` }));
}

const PROVIDERS: { value: Settings['provider']; label: string }[] = [
  { value: 'auto', label: 'Automatic' },
  { value: 'cuda', label: 'NVIDIA CUDA' },
  { value: 'dml', label: 'DirectML (Windows)' },
  { value: 'coreml', label: 'Core ML (macOS)' },
  { value: 'webgpu', label: 'WebGPU' },
  { value: 'cpu', label: 'CPU only' },
];

// What the engine runs on once a model is loaded: the provider, the GPU with its memory where the platform
// tells it, the provider check, and a GPU passed over for this model.
function ComputeStatus() {
  const engine = useEngineStatus();
  const provider = useApp((s) => s.settings?.provider ?? 'auto');
  if (!engine) return null;
  const adapter = engine.adapter;
  const memory = !adapter
    ? null
    : adapter.memoryBytes === null
      ? 'device memory unknown'
      : adapter.freeBytes !== null
        ? `${formatBytes(adapter.freeBytes)} free of ${formatBytes(adapter.memoryBytes)}`
        : `${formatBytes(adapter.memoryBytes)}${adapter.kind === 'integrated' ? ' shared with the system' : ''} (free memory unknown)`;
  return (
    <div className="compute-status" data-testid="compute-status">
      {engine.providerOverride ? (
        <p className="hint">
          QUIRE_PROVIDER is <strong>{engine.providerOverride}</strong> for this run; it overrides the choice above.
        </p>
      ) : null}
      <dl className="facts">
        <div>
          <dt>In use</dt>
          <dd>{computeLabel(engine, provider)}</dd>
        </div>
        {adapter ? (
          <div>
            <dt>GPU</dt>
            <dd>
              {adapter.name} <span className="subtle">({adapter.kind}, {adapter.driver})</span>
            </dd>
          </div>
        ) : null}
        {memory ? (
          <div>
            <dt>GPU memory</dt>
            <dd>{memory}</dd>
          </div>
        ) : null}
        {engine.check ? (
          <div>
            <dt>Provider check</dt>
            <dd>{engine.check}</dd>
          </div>
        ) : null}
      </dl>
      {engine.warning ? (
        <p className="compute-warning" role="status">
          {engine.warning}
        </p>
      ) : null}
      {engine.reason ? <p className="hint">Why: {engine.reason}</p> : null}
    </div>
  );
}

export function SettingsView() {
  const choices = useApp((s) => s.choices);
  const settings = useApp((s) => s.settings);
  const info = useApp((s) => s.info);
  const update = useApp((s) => s.updateSettings);
  // Settings and engines live in the database: a damaged one keeps them as they are, and says so.
  const readOnly = useApp(readOnlyReason);
  if (!settings) return null;
  const set = (patch: Partial<Settings>) => void update(patch);
  return (
    <section className="view" aria-labelledby="settings-title">
      <header className="view-head">
        <div>
          <h1 id="settings-title">Settings</h1>
          <p className={`subtle${readOnly ? ' warn' : ''}`}>{readOnly ?? 'Saved on this computer as you change them.'}</p>
        </div>
      </header>
      <fieldset className="settings-grid" disabled={readOnly !== null}>
        <fieldset className="setting">
          <legend>Appearance</legend>
          <div className="segmented" role="radiogroup" aria-label="Theme">
            {THEMES.map((t) => (
              <button key={t.value} type="button" role="radio" aria-checked={settings.theme === t.value} className={settings.theme === t.value ? 'on' : ''} onClick={() => set({ theme: t.value })}>
                {t.label}
              </button>
            ))}
          </div>
        </fieldset>
        <fieldset className="setting">
          <legend>Context length</legend>
          <select aria-label="Context length" value={settings.contextTokens} onChange={(e) => set({ contextTokens: Number(e.target.value) })}>
            {CONTEXT_CHOICES.map((n) => (
              <option key={n} value={n}>{formatTokens(n)} tokens</option>
            ))}
          </select>
          <p className="hint">How much text one conversation may hold. Longer needs more memory for the document cache (what the model keeps of the text it has read).</p>
        </fieldset>
        <fieldset className="setting">
          <legend>Longest answer</legend>
          <select aria-label="Longest answer" value={settings.answerTokens} onChange={(e) => set({ answerTokens: Number(e.target.value) })}>
            {ANSWER_CHOICES.map((n) => (
              <option key={n} value={n}>{n.toLocaleString()} tokens</option>
            ))}
          </select>
          <p className="hint">Answers stop at this length; room for it is kept in the context.</p>
        </fieldset>
        <AnswerStyleSection />
        <fieldset className="setting">
          <legend>Document cache precision</legend>
          <p className="hint">Used when a model is downloaded and converted (it is part of the converted model); the library shows what fits at each.</p>
          {kvChoices(choices ? offeredKvDtypes(choices.choices) : USER_KV_DTYPES).map((k) => (
            <label key={k.value} className="radio">
              <input type="radio" name="kv" value={k.value} checked={settings.kvDtype === k.value} onChange={() => set({ kvDtype: k.value })} />
              <span><strong>{k.label}</strong> <span className="hint">{k.note}</span></span>
            </label>
          ))}
        </fieldset>
        <fieldset className="setting">
          <legend>Compute</legend>
          <select aria-label="Execution provider" value={settings.provider} onChange={(e) => set({ provider: e.target.value as Settings['provider'] })}>
            {PROVIDERS.map((p) => (
              <option key={p.value} value={p.value}>{p.label}</option>
            ))}
          </select>
          <p className="hint">Automatic picks the fastest accelerator onnxruntime finds and says why.</p>
          <ComputeStatus />
        </fieldset>
        <SavedCachesSection />
        <EnginesSection />
        {info?.mode !== 'cli' ? <ApiSection /> : null}
        {info ? <About info={info} /> : null}
      </fieldset>
    </section>
  );
}

function About({ info }: { info: AppInfo }) {
  return (
    <fieldset className="setting">
      <legend>About</legend>
      <dl className="facts">
        <div><dt>Version</dt><dd>{info.version}</dd></div>
        <div><dt>Mode</dt><dd>{info.mode === 'desktop' ? 'Desktop app' : 'Browser mode'}</dd></div>
        <div><dt>Data folder</dt><dd className="mono">{info.dataDir}</dd></div>
      </dl>
    </fieldset>
  );
}
