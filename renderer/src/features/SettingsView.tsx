import type { Settings } from '../../../electron/common/contract.ts';
import { CONTEXT_CHOICES } from '../../../models/model-spec.ts';
import { formatTokens } from '../components/format.ts';
import { useApp } from '../store/context.tsx';

const THEMES: { value: Settings['theme']; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

// Bytes per token for Llama-3.1-8B (32 layers × 8 KV heads × 128 dims × K and V); shown so the choice has a
// concrete cost. The models screen shows the exact figure of the installed model.
const KV_CHOICES: { value: Settings['kvDtype']; label: string; note: string }[] = [
  { value: 'fp16', label: 'FP16', note: '128 KiB per token on an 8B model — exact' },
  { value: 'int8', label: 'INT8', note: '64 KiB per token — twice the context in the same memory' },
  { value: 'int4', label: 'INT4', note: '32 KiB per token — four times the context, some quality cost' },
];

const PROVIDERS: { value: Settings['provider']; label: string }[] = [
  { value: 'auto', label: 'Automatic' },
  { value: 'cuda', label: 'NVIDIA CUDA' },
  { value: 'dml', label: 'DirectML (Windows)' },
  { value: 'coreml', label: 'Core ML (macOS)' },
  { value: 'webgpu', label: 'WebGPU' },
  { value: 'cpu', label: 'CPU only' },
];


const ANSWER_CHOICES = [256, 512, 1024, 2048, 4096, 8192];

export function SettingsView() {
  const settings = useApp((s) => s.settings);
  const info = useApp((s) => s.info);
  const update = useApp((s) => s.updateSettings);
  if (!settings) return null;
  const set = (patch: Partial<Settings>) => void update(patch);
  return (
    <section className="view" aria-labelledby="settings-title">
      <header className="view-head">
        <div>
          <h1 id="settings-title">Settings</h1>
          <p className="subtle">Saved on this computer as you change them.</p>
        </div>
      </header>
      <div className="settings-grid">
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
          <p className="hint">How much text one conversation may hold. Longer needs more memory for the KV cache.</p>
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
        <fieldset className="setting">
          <legend>KV cache precision</legend>
          <p className="hint">Used when a model is downloaded and converted (it is part of the converted model); the library shows what fits at each.</p>
          {KV_CHOICES.map((k) => (
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
        </fieldset>
        {info ? (
          <fieldset className="setting">
            <legend>About</legend>
            <dl className="facts">
              <div><dt>Version</dt><dd>{info.version}</dd></div>
              <div><dt>Mode</dt><dd>{info.mode === 'desktop' ? 'Desktop app' : 'Browser mode'}</dd></div>
              <div><dt>Data folder</dt><dd className="mono">{info.dataDir}</dd></div>
            </dl>
          </fieldset>
        ) : null}
      </div>
    </section>
  );
}
