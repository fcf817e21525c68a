import { useEffect, useState } from 'react';
import { AnswerStyle } from '../../../electron/common/contract.ts';
import { useApp } from '../store/context.tsx';

type Draft = { instructions: string; temperature: string; topP: string; seed: string };

const toDraft = (style: AnswerStyle): Draft => ({
  instructions: style.instructions,
  temperature: style.temperature === null ? '' : String(style.temperature),
  topP: style.topP === null ? '' : String(style.topP),
  seed: style.seed === null ? '' : String(style.seed),
});

// An empty field is the model's own default; anything else must be a number the contract takes.
function fromDraft(draft: Draft): { style: AnswerStyle } | { error: string } {
  const number = (text: string) => (text.trim() === '' ? null : Number(text));
  const parsed = AnswerStyle.safeParse({ instructions: draft.instructions, temperature: number(draft.temperature), topP: number(draft.topP), seed: number(draft.seed) });
  if (parsed.success) return { style: parsed.data };
  const issue = parsed.error.issues[0];
  const field = { instructions: 'Instructions', temperature: 'Temperature', topP: 'Top-p', seed: 'Seed' }[String(issue.path[0]) as keyof Draft] ?? 'A field';
  return { error: `${field}: ${issue.message}` };
}

// Settings → Answers: instructions every conversation's model is given and how it samples, app-wide; a
// conversation's own choices go over these.
export function AnswerStyleSection() {
  const saved = useApp((s) => s.settings?.answerStyle);
  const update = useApp((s) => s.updateSettings);
  const [draft, setDraft] = useState<Draft | null>(null);
  useEffect(() => setDraft(saved ? toDraft(saved) : null), [saved]);
  if (!saved || !draft) return null;
  const result = fromDraft(draft);
  const changed = 'style' in result && JSON.stringify(result.style) !== JSON.stringify(saved);
  const field = (key: Exclude<keyof Draft, 'instructions'>, label: string, hint: string) => (
    <label className="style-field">
      <span>{label}</span>
      <input className="text-input mono" inputMode="decimal" placeholder="model default" aria-label={label} value={draft[key]} onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} />
      <span className="hint">{hint}</span>
    </label>
  );
  return (
    <fieldset className="setting answer-style">
      <legend>How answers are written</legend>
      <label className="style-instructions">
        <span>Instructions</span>
        <textarea aria-label="Instructions" rows={3} maxLength={4000} placeholder="e.g. Answer in French. Quote the document for every claim." value={draft.instructions} onChange={(e) => setDraft({ ...draft, instructions: e.target.value })} />
      </label>
      <div className="style-fields">
        {field('temperature', 'Temperature', '0 answers the same way each time; higher varies more.')}
        {field('topP', 'Top-p', 'Samples from the likeliest words that make up this share.')}
        {field('seed', 'Seed', 'The same seed repeats an answer.')}
      </div>
      {'error' in result ? <p className="install-error" role="alert">{result.error}</p> : null}
      <div className="card-actions">
        <button type="button" className="button primary small" disabled={!changed} onClick={() => 'style' in result && void update({ answerStyle: result.style })}>Save</button>
        <button type="button" className="link-button" onClick={() => setDraft(toDraft({ instructions: '', temperature: null, topP: null, seed: null }))}>Use the model’s defaults</button>
      </div>
      <p className="hint">An empty field is the model’s own default (its generation settings); the seed, a new one for each answer.</p>
    </fieldset>
  );
}
