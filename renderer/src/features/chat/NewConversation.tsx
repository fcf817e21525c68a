import { useEffect } from 'react';
import { Icon } from '../../components/icons.tsx';
import { useApp } from '../../store/context.tsx';
import { readOnlyReason } from '../../store/database-slice.ts';
import { Composer } from './Composer.tsx';
import { EnginePicker, RemoteNote } from './EnginePicker.tsx';
import { FitReport } from './FitReport.tsx';

export function NewConversation() {
  const documents = useApp((s) => s.documents);
  const selected = useApp((s) => s.draftDocumentIds);
  const fit = useApp((s) => s.fit);
  const fitError = useApp((s) => s.fitError);
  const models = useApp((s) => s.installed);
  const ask = useApp((s) => s.ask);
  const engine = useApp((s) => s.draftEngine);
  const readOnly = useApp(readOnlyReason);
  const setEngine = useApp((s) => s.setDraftEngine);
  const engines = useApp((s) => s.engines);
  const checks = useApp((s) => s.engineChecks);
  const loadRemoteModels = useApp((s) => s.loadRemoteModels);
  const demo = useApp((s) => s.installed.find((m) => m.id === s.settings?.modelId) ?? s.installed[0])?.demo;
  useEffect(() => {
    void loadRemoteModels().catch(() => undefined);
  }, [loadRemoteModels]);
  // A remote engine's model answers as well as an installed one.
  const answerable = models.length > 0 || engines.some((e) => (checks[e.id]?.models?.length ?? 0) > 0);
  const host = engine ? engines.find((e) => e.id === engine.engineId)?.host : null;
  const blocker =
    readOnly !== null ? readOnly
    : !answerable ? 'Install a model to start asking.'
    : models.length === 0 && !engine ? 'Choose a remote engine\'s model to answer.'
    : documents.length === 0 ? 'Add a document to start asking.'
    : selected.length === 0 ? 'Choose the documents to ask about.'
    : fit && !fit.fits ? 'These documents do not fit; see the choices above.'
    : null;
  return (
    <div className="new-conversation">
      <header className="view-head">
        <div>
          <h1 id="chat-title">New conversation</h1>
          <p className="subtle">The whole text of every chosen document goes to the model — nothing is chunked or skipped.</p>
        </div>
      </header>
      {!answerable || documents.length === 0 ? (
        <GettingStarted haveDocuments={documents.length > 0} answerable={answerable} />
      ) : (
        <>
          <DocumentPicker />
          <EnginePicker value={engine} onChange={setEngine} />
          {host ? <RemoteNote host={host} /> : null}
          {fitError ? <p className="fit bad" role="alert">{fitError}</p> : null}
          {fit ? <FitReport fit={fit} /> : null}
          <SampleQuestions />
          {demo ? <p className="demo-note">The selected model is a tiny demonstration model: it answers questions about the synthetic documents it was trained on and writes meaningless text otherwise.</p> : null}
        </>
      )}
      <Composer disabledReason={blocker} onAsk={(q) => void ask(q)} />
    </div>
  );
}

// What is missing before a first question, each step one click from the screen that does it.
function GettingStarted({ haveDocuments, answerable }: { haveDocuments: boolean; answerable: boolean }) {
  const setView = useApp((s) => s.setView);
  const steps = [
    { done: haveDocuments, text: 'Add the documents you want to ask about', action: 'Open library', view: 'library' as const },
    { done: answerable, text: 'Install a long-context model', action: 'Open models', view: 'models' as const },
  ];
  return (
    <div className="chat-empty">
      <div className="chat-empty-mark"><Icon name="spark" size={28} /></div>
      <h2>Ask anything about your documents</h2>
      <ol className="steps">
        {steps.map((step) => (
          <li key={step.text} className={step.done ? 'done' : ''}>
            <span className="step-check" aria-hidden="true">{step.done ? '✓' : ''}</span>
            <span>{step.text}</span>
            {step.done ? null : <button type="button" className="link-button" onClick={() => setView(step.view)}>{step.action}</button>}
          </li>
        ))}
      </ol>
    </div>
  );
}

function DocumentPicker() {
  const documents = useApp((s) => s.documents);
  const selected = useApp((s) => s.draftDocumentIds);
  const toggle = useApp((s) => s.toggleDraftDocument);
  return (
    <fieldset className="doc-picker">
      <legend>Documents</legend>
      {documents.map((doc) => (
        <label key={doc.id} className={`doc-option${selected.includes(doc.id) ? ' on' : ''}`}>
          <input type="checkbox" checked={selected.includes(doc.id)} onChange={() => toggle(doc.id)} />
          <span className="doc-option-title">{doc.title}</span>
          <span className="badge">{doc.format.toUpperCase()}</span>
          <span className="subtle">{doc.tokens === null ? `${doc.chars.toLocaleString()} chars` : `${doc.tokens.toLocaleString()} tokens`}</span>
        </label>
      ))}
    </fieldset>
  );
}

// The sample book's questions, one click each, while the sample is among the chosen documents.
function SampleQuestions() {
  const sample = useApp((s) => s.sample);
  const chosen = useApp((s) => s.draftDocumentIds);
  const fits = useApp((s) => s.fit?.fits ?? false);
  const ask = useApp((s) => s.ask);
  const readOnly = useApp(readOnlyReason);
  if (!sample || !chosen.includes(sample.documentId)) return null;
  return (
    <div className="sample-questions" role="group" aria-label="Questions to try">
      <span className="subtle">Try asking:</span>
      {sample.questions.map((q) => (
        <button key={q} type="button" className="button" disabled={!fits || readOnly !== null} title={readOnly ?? undefined} onClick={() => void ask(q)}>
          {q}
        </button>
      ))}
    </div>
  );
}

