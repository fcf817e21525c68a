import type { FormEvent, KeyboardEvent } from 'react';
import { useApp } from '../../store/context.tsx';

export function Composer({ disabledReason, onAsk }: { disabledReason: string | null; onAsk: (question: string) => void }) {
  // In the store, not the component: a question being typed survives a look at the library or settings.
  const question = useApp((s) => s.draftQuestion);
  const setQuestion = useApp((s) => s.setDraftQuestion);
  const streaming = useApp((s) => s.streaming);
  const stop = useApp((s) => s.stop);
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const text = question.trim();
    if (!text || disabledReason || streaming) return;
    setQuestion('');
    onAsk(text);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      submit();
    }
  };
  return (
    <form className="composer" onSubmit={submit}>
      <textarea
        aria-label="Question"
        placeholder={disabledReason ?? 'Ask about the documents… (Enter to send, Shift+Enter for a new line)'}
        disabled={disabledReason !== null}
        rows={2}
        value={question}
        onChange={(e) => setQuestion(e.target.value)}
        onKeyDown={onKeyDown}
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
