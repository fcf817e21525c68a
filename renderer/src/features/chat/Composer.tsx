import { useEffect, useRef, type FormEvent } from 'react';
import { useApp } from '../../store/context.tsx';
import { enterSends } from './enter-sends.ts';

export function Composer({ disabledReason, onAsk }: { disabledReason: string | null; onAsk: (question: string) => void }) {
  // In the store, not the component: a question being typed survives a look at the library or settings.
  const question = useApp((s) => s.draftQuestion);
  const setQuestion = useApp((s) => s.setDraftQuestion);
  const notSent = useApp((s) => s.draftNotSent);
  const streaming = useApp((s) => s.streaming);
  const stop = useApp((s) => s.stop);
  const box = useRef<HTMLTextAreaElement>(null);
  // The box keeps the keyboard: when it appears (Ask from the library, a new conversation's first answer
  // replacing the draft screen) or an answer ends, focus that fell to the page comes back here, never taken
  // from another control the user is on.
  const idle = streaming === null;
  const enabled = disabledReason === null;
  useEffect(() => {
    const active = document.activeElement;
    if (enabled && idle && (active === null || active === document.body)) box.current?.focus();
  }, [enabled, idle]);
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const text = question.trim();
    if (!text || disabledReason || streaming) return;
    setQuestion('');
    onAsk(text);
  };
  return (
    <form className="composer" onSubmit={submit}>
      {notSent ? (
        <p id="not-sent" className="not-sent" role="status">
          Not sent — the connection to Quire was lost before it received this question. Ask again once it is back.
        </p>
      ) : null}
      <textarea
        ref={box}
        aria-label="Question"
        aria-describedby={notSent ? 'not-sent' : undefined}
        placeholder={disabledReason ?? 'Ask about the documents… (Enter to send, Shift+Enter for a new line)'}
        disabled={disabledReason !== null}
        rows={2}
        value={question}
        onChange={(e) => setQuestion(e.target.value)}
        onKeyDown={enterSends(() => submit())}
      />
      {streaming ? (
        <button type="button" className="button danger" onClick={() => void stop()}>
          Stop
        </button>
      ) : (
        <button type="submit" className="button primary" disabled={disabledReason !== null || question.trim() === ''}>
          Ask
        </button>
      )}
    </form>
  );
}
