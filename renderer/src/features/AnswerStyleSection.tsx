import { useEffect, useState } from 'react';
import { useApp } from '../store/context.tsx';
import { fromDraft, MODEL_DEFAULTS, StyleFields, toDraft, type StyleDraft } from './answer-style-form.tsx';

// Settings → Answers: instructions every conversation's model is given and how it samples, app-wide; a
// conversation's own choices go over these.
export function AnswerStyleSection() {
  const saved = useApp((s) => s.settings?.answerStyle);
  const update = useApp((s) => s.updateSettings);
  const [draft, setDraft] = useState<StyleDraft | null>(null);
  useEffect(() => setDraft(saved ? toDraft(saved) : null), [saved]);
  if (!saved || !draft) return null;
  const result = fromDraft(draft);
  const changed = 'style' in result && JSON.stringify(result.style) !== JSON.stringify(saved);
  return (
    <fieldset className="setting answer-style">
      <legend>How answers are written</legend>
      <StyleFields draft={draft} onChange={setDraft} placeholder="model default" />
      {'error' in result ? <p className="install-error" role="alert">{result.error}</p> : null}
      <div className="card-actions">
        <button type="button" className="button primary small" disabled={!changed} onClick={() => 'style' in result && void update({ answerStyle: result.style })}>Save</button>
        <button type="button" className="link-button" onClick={() => setDraft(toDraft(MODEL_DEFAULTS))}>Use the model’s defaults</button>
      </div>
      <p className="hint">An empty field is the model’s own default (its generation settings); the seed, a new one for each answer. A conversation can have its own (Conversation settings, in the conversation).</p>
    </fieldset>
  );
}
