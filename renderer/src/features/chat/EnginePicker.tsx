import type { RemoteChoice } from '../../../../electron/common/contract.ts';
import { formatTokens } from '../../../../electron/common/format.ts';
import { useApp } from '../../store/context.tsx';

const LOCAL = 'local';
const optionValue = (choice: RemoteChoice) => JSON.stringify([choice.engineId, choice.model]);

// The engine that answers: the local model, or a model of a remote engine (Settings → Engines). Shown only
// where there is a remote engine to choose.
export function EnginePicker({ value, onChange, disabled = false }: { value: RemoteChoice | null; onChange(choice: RemoteChoice | null): void; disabled?: boolean }) {
  const engines = useApp((s) => s.engines);
  const checks = useApp((s) => s.engineChecks);
  const local = useApp((s) => s.installed.find((m) => m.id === s.settings?.modelId) ?? s.installed[0]);
  if (engines.length === 0) return null;
  const choices = engines.map((engine) => ({ engine, models: checks[engine.id]?.models ?? [], error: checks[engine.id]?.error ?? null }));
  const current = value ? optionValue(value) : LOCAL;
  return (
    <label className="engine-picker">
      <span>Answered by</span>
      <select
        className="text-input"
        value={current}
        disabled={disabled}
        onChange={(e) => {
          if (e.target.value === LOCAL) return onChange(null);
          const [engineId, model] = JSON.parse(e.target.value) as [string, string];
          onChange({ engineId, model });
        }}
      >
        <option value={LOCAL} disabled={!local}>{local ? `This computer — ${local.name}` : 'This computer (no model installed)'}</option>
        {choices.map(({ engine, models, error }) => (
          <optgroup key={engine.id} label={`${engine.name} (${engine.host})${error ? ` — ${error}` : ''}`}>
            {models.map((m) => (
              <option key={m.id} value={optionValue({ engineId: engine.id, model: m.id })}>
                {m.id}{m.maxModelLen ? ` · ${formatTokens(m.maxModelLen)} context` : ''}
              </option>
            ))}
          </optgroup>
        ))}
        {/* A conversation's engine that is no longer listed stays shown as what it is. */}
        {value && !choices.some((c) => c.engine.id === value.engineId && c.models.some((m) => m.id === value.model)) ? (
          <option value={current} disabled>{value.model} (not available now)</option>
        ) : null}
      </select>
    </label>
  );
}

// Where the documents of a remote conversation go, said where the user looks before asking.
export function RemoteNote({ host }: { host: string }) {
  return (
    <p className="remote-note" data-testid="remote-note">
      Documents are sent to <strong>{host}</strong>
    </p>
  );
}
