import { AnswerStyle, ConversationStyle } from '../../../electron/common/contract.ts';

// The choices of the longest answer, app-wide (Settings) and per conversation.
export const ANSWER_CHOICES = [256, 512, 1024, 2048, 4096, 8192];

// How answers are written, as typed: an empty number field is the model's own default. `answerTokens` only
// where the form has the longest answer (a conversation's; the app's has its own setting).
export type StyleDraft = { instructions: string; temperature: string; topP: string; seed: string; answerTokens?: number };
type NumberField = 'temperature' | 'topP' | 'seed';

export const toDraft = (style: AnswerStyle, answerTokens?: number): StyleDraft => ({
  instructions: style.instructions,
  temperature: style.temperature === null ? '' : String(style.temperature),
  topP: style.topP === null ? '' : String(style.topP),
  seed: style.seed === null ? '' : String(style.seed),
  ...(answerTokens !== undefined ? { answerTokens } : {}),
});

export const MODEL_DEFAULTS: AnswerStyle = { instructions: '', temperature: null, topP: null, seed: null };

const LABELS: Record<keyof StyleDraft, string> = { instructions: 'Instructions', temperature: 'Temperature', topP: 'Top-p', seed: 'Seed', answerTokens: 'Longest answer' };

// The draft as the contract takes it, or what is wrong with it in words.
export function fromDraft(draft: StyleDraft): { style: AnswerStyle; answerTokens?: number } | { error: string } {
  const number = (text: string) => (text.trim() === '' ? null : Number(text));
  const style = { instructions: draft.instructions, temperature: number(draft.temperature), topP: number(draft.topP), seed: number(draft.seed) };
  const parsed = ConversationStyle.safeParse({ ...style, ...(draft.answerTokens !== undefined ? { answerTokens: draft.answerTokens } : {}) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { error: `${LABELS[String(issue.path[0]) as keyof StyleDraft] ?? 'A field'}: ${issue.message}` };
  }
  return { style: AnswerStyle.parse(style), ...(parsed.data.answerTokens !== undefined ? { answerTokens: parsed.data.answerTokens } : {}) };
}

const HINTS: Record<NumberField, string> = {
  temperature: '0 answers the same way each time; higher varies more.',
  topP: 'Samples from the likeliest words that make up this share.',
  seed: 'The same seed repeats an answer.',
};

// The form's fields; `placeholder` is what an empty number field means.
export function StyleFields({ draft, onChange, placeholder }: { draft: StyleDraft; onChange(draft: StyleDraft): void; placeholder: string }) {
  const field = (key: NumberField) => (
    <label className="style-field" key={key}>
      <span>{LABELS[key]}</span>
      <input className="text-input mono" inputMode="decimal" placeholder={placeholder} aria-label={LABELS[key]} value={draft[key]} onChange={(e) => onChange({ ...draft, [key]: e.target.value })} />
      <span className="hint">{HINTS[key]}</span>
    </label>
  );
  const answerTokens = draft.answerTokens;
  return (
    <>
      <label className="style-instructions">
        <span>Instructions</span>
        <textarea aria-label="Instructions" rows={3} maxLength={4000} placeholder="e.g. Answer in French. Quote the document for every claim." value={draft.instructions} onChange={(e) => onChange({ ...draft, instructions: e.target.value })} />
      </label>
      <div className="style-fields">
        {(['temperature', 'topP', 'seed'] as const).map(field)}
        {answerTokens !== undefined ? (
          <label className="style-field">
            <span>{LABELS.answerTokens}</span>
            <select className="text-input" aria-label={LABELS.answerTokens} value={answerTokens} onChange={(e) => onChange({ ...draft, answerTokens: Number(e.target.value) })}>
              {[...new Set([...ANSWER_CHOICES, answerTokens])].sort((a, b) => a - b).map((n) => (
                <option key={n} value={n}>{n.toLocaleString()} tokens</option>
              ))}
            </select>
            <span className="hint">Answers stop at this length.</span>
          </label>
        ) : null}
      </div>
    </>
  );
}
