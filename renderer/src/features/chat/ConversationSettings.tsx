import { useRef, useState } from 'react';
import type { Conversation, Settings } from '../../../../electron/common/contract.ts';
import { styleOver } from '../../../../electron/common/answer-style.ts';
import { useDialogFocus } from '../../components/dialog-focus.ts';
import { useApp } from '../../store/context.tsx';
import { readOnlyReason } from '../../store/database-slice.ts';
import { fromDraft, StyleFields, toDraft, type StyleDraft } from '../answer-style-form.tsx';

// What the conversation's questions are asked with, as the form shows it.
function draftOf(conversation: Conversation, settings: Pick<Settings, 'answerStyle' | 'answerTokens'>): StyleDraft {
  const { answerTokens, ...style } = styleOver(settings, conversation.style);
  return toDraft(style, answerTokens);
}

// Where the conversation's head says how it is answered, and opens its settings.
export function ConversationSettingsButton() {
  const own = useApp((s) => Boolean(s.conversation?.style));
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="button small conversation-settings-button" aria-haspopup="dialog" onClick={() => setOpen(true)}>
        Conversation settings <span className="subtle">· {own ? 'its own' : 'as in Settings'}</span>
      </button>
      {open ? <ConversationSettingsPanel close={() => setOpen(false)} /> : null}
    </>
  );
}

// The open conversation's instructions and sampling, starting from the app's; saved, they are its own for every
// later question (and its exports say so); "Use the app's settings" gives it the app's again.
export function ConversationSettingsPanel({ close }: { close(): void }) {
  const conversation = useApp((s) => s.conversation)!;
  const settings = useApp((s) => s.settings);
  const save = useApp((s) => s.setConversationStyle);
  const readOnly = useApp(readOnlyReason);
  // A model trained on bare document-and-question prompts (quire-nano) has no place for instructions.
  const bare = useApp((s) => !s.conversation?.engine && (s.installed.find((m) => m.id === s.settings?.modelId) ?? s.installed[0])?.promptStyle === 'bare');
  const panel = useRef<HTMLDivElement>(null);
  // Set once when opened: an answer finishing meanwhile does not undo what is being typed.
  const [draft, setDraft] = useState<StyleDraft | null>(() => (settings ? draftOf(conversation, settings) : null));
  useDialogFocus(panel, true);
  if (!settings || !draft) return null;
  const result = fromDraft(draft);
  const store = (style: Parameters<typeof save>[0]) => void save(style).then((saved) => saved && close());
  return (
    <div className="panel-backdrop" onClick={close}>
      <div className="side-panel" role="dialog" aria-modal="true" aria-labelledby="conversation-settings-title" tabIndex={-1} ref={panel} onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.key === 'Escape' && close()}>
        <header className="viewer-head">
          <div>
            <h2 id="conversation-settings-title">Conversation settings</h2>
            <span className="subtle">{conversation.title || 'New conversation'}</span>
          </div>
          <button type="button" className="icon-button" aria-label="Close conversation settings" onClick={close}>×</button>
        </header>
        <div className="side-panel-body answer-style">
          <p className="style-source" role="status">
            {conversation.style
              ? 'This conversation has its own instructions and sampling.'
              : 'This conversation follows the app’s settings (Settings → How answers are written). Saved here, these become its own.'}
          </p>
          <StyleFields draft={draft} onChange={setDraft} placeholder="model default" />
          {bare ? <p className="hint">The model answering now was trained on bare document-and-question prompts: it is given no instructions, only the sampling.</p> : null}
          {'error' in result ? <p className="install-error" role="alert">{result.error}</p> : null}
          <p className="hint">They apply to this conversation’s next questions; its exports state them. An empty field is the model’s own default; the seed, a new one for each answer.</p>
        </div>
        <div className="card-actions side-panel-foot">
          <button type="button" className="button primary small" disabled={'error' in result || readOnly !== null} title={readOnly ?? undefined} onClick={() => 'style' in result && store({ ...result.style, answerTokens: result.answerTokens })}>
            Save for this conversation
          </button>
          {conversation.style ? (
            <button type="button" className="link-button" disabled={readOnly !== null} onClick={() => store(null)}>Use the app’s settings</button>
          ) : null}
        </div>
      </div>
    </div>
  );
}
