import { useApp } from '../store/context.tsx';
import { Icon } from '../components/icons.tsx';

export function ChatView() {
  const documents = useApp((s) => s.documents.length);
  const models = useApp((s) => s.installed.length);
  const setView = useApp((s) => s.setView);
  const steps = [
    { done: documents > 0, text: 'Add the documents you want to ask about', action: 'Open library', view: 'library' as const },
    { done: models > 0, text: 'Install a long-context model', action: 'Open models', view: 'models' as const },
  ];
  const blocker = models === 0 ? 'Install a model to start asking.' : documents === 0 ? 'Add a document to start asking.' : null;
  return (
    <section className="view chat" aria-labelledby="chat-title">
      <header className="view-head">
        <div>
          <h1 id="chat-title">Chat</h1>
          <p className="subtle">Answers read your whole documents and quote them with page numbers and timestamps.</p>
        </div>
      </header>
      <div className="chat-empty">
        <div className="chat-empty-mark"><Icon name="spark" size={28} /></div>
        <h2>Ask anything about your documents</h2>
        <ol className="steps">
          {steps.map((step) => (
            <li key={step.text} className={step.done ? 'done' : ''}>
              <span className="step-check" aria-hidden="true">{step.done ? '✓' : ''}</span>
              <span>{step.text}</span>
              {step.done ? null : (
                <button type="button" className="link-button" onClick={() => setView(step.view)}>{step.action}</button>
              )}
            </li>
          ))}
        </ol>
      </div>
      <form className="composer" onSubmit={(e) => e.preventDefault()}>
        <textarea aria-label="Question" placeholder={blocker ?? 'Ask a question about the selected documents…'} disabled={blocker !== null} rows={2} />
        <button type="submit" className="button primary" disabled={blocker !== null}>Ask</button>
      </form>
    </section>
  );
}
