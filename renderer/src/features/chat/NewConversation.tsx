import { useEffect } from 'react';
import { Icon } from '../../components/icons.tsx';
import type { FitAdvice } from '../../../../electron/common/contract.ts';
import { formatBytes, formatTokens } from '../../../../electron/common/format.ts';
import { modelsHolding } from '../catalog-here.ts';
import { formatDuration } from './progress.ts';
import { useApp } from '../../store/context.tsx';
import { readOnlyReason } from '../../store/database-slice.ts';
import { Composer } from './Composer.tsx';
import { EnginePicker, RemoteNote } from './EnginePicker.tsx';

export function NewConversation() {
  const documents = useApp((s) => s.documents);
  const selected = useApp((s) => s.draftDocumentIds);
  const toggle = useApp((s) => s.toggleDraftDocument);
  const fit = useApp((s) => s.fit);
  const fitError = useApp((s) => s.fitError);
  const models = useApp((s) => s.installed);
  const setView = useApp((s) => s.setView);
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
        <div className="chat-empty">
          <div className="chat-empty-mark"><Icon name="spark" size={28} /></div>
          <h2>Ask anything about your documents</h2>
          <ol className="steps">
            {[
              { done: documents.length > 0, text: 'Add the documents you want to ask about', action: 'Open library', view: 'library' as const },
              { done: answerable, text: 'Install a long-context model', action: 'Open models', view: 'models' as const },
            ].map((step) => (
              <li key={step.text} className={step.done ? 'done' : ''}>
                <span className="step-check" aria-hidden="true">{step.done ? '✓' : ''}</span>
                <span>{step.text}</span>
                {step.done ? null : <button type="button" className="link-button" onClick={() => setView(step.view)}>{step.action}</button>}
              </li>
            ))}
          </ol>
        </div>
      ) : (
        <>
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
          <EnginePicker value={engine} onChange={setEngine} />
          {host ? <RemoteNote host={host} /> : null}
          {fitError ? <p className="fit bad" role="alert">{fitError}</p> : null}
          {fit ? (
            <div className={`fit ${fit.fits ? 'good' : 'bad'}`} data-testid="fit">
              <strong>
                {`${fit.documentTokens.toLocaleString()} tokens — `}
                {/* A remote server that reports no context (transformers serve): its words, never "the 0 context". */}
                {fit.context === 0
                  ? `${fit.reason}.`
                  : !fit.fitsContext
                  ? `more than the ${formatTokens(fit.context)} context with ${fit.answerRoom.toLocaleString()} tokens for the answer.`
                  : fit.fitsMemory
                    ? `fits the ${formatTokens(fit.context)} context.`
                    : `fits the ${formatTokens(fit.context)} context, but its cache does not fit ${fit.memory.device}.`}
              </strong>
              {fit.server ? (
                <p className="subtle fit-memory">
                  Answer room {fit.answerRoom.toLocaleString()} tokens · the context of {fit.server.model} on {fit.server.host}, counted by{' '}
                  {fit.server.tokenSource}{fit.server.tokensExact ? '' : ' (an estimate)'}; the server holds its own memory
                </p>
              ) : (
                <p className="subtle fit-memory">
                  Answer room {fit.answerRoom.toLocaleString()} tokens · planned for {fit.memory.device}: {fit.memory.source}
                </p>
              )}
              {fit.fitsContext ? (
              <ul className="fit-choices">
                {/* Other caches are worth a look only when the model's own does not fit the memory. */}
                {fit.choices.filter((c) => c.installed || !fit.fitsMemory).map((c) => (
                  <li key={c.kvDtype} className={c.fits ? 'fits' : 'no-fit'}>
                    <span className="badge">{c.kvDtype.toUpperCase()} cache{c.installed ? ' · this model' : ''}</span> {c.fits ? (c.installed ? 'fits in memory' : 'would fit after converting again') : c.reason}
                  </li>
                ))}
              </ul>
              ) : null}
              {fit.advice.length > 0 ? (
                <div className="fit-actions">
                  {fit.advice.map((a) => <AdviceAction key={a.label} advice={a} />)}
                </div>
              ) : null}
              {!fit.fits && !fit.server ? <WayForward tokens={fit.documentTokens + fit.answerRoom} /> : null}
            </div>
          ) : null}
          <SampleQuestions />
          {demo ? <p className="demo-note">The selected model is a tiny demonstration model: it answers questions about the synthetic documents it was trained on and writes meaningless text otherwise.</p> : null}
        </>
      )}
      <Composer disabledReason={blocker} onAsk={(q) => void ask(q)} />
    </div>
  );
}

// Each piece of advice does what it says when clicked, and the fit is checked again at once.
function AdviceAction({ advice }: { advice: FitAdvice }) {
  const updateSettings = useApp((s) => s.updateSettings);
  const checkFit = useApp((s) => s.checkFit);
  const setView = useApp((s) => s.setView);
  const apply = (patch: Parameters<typeof updateSettings>[0]) => void updateSettings(patch).then(checkFit);
  switch (advice.kind) {
    case 'context':
      return <button type="button" className="button" onClick={() => apply({ contextTokens: advice.contextTokens })}>{advice.label}</button>;
    case 'answer':
      return <button type="button" className="button" onClick={() => apply({ answerTokens: advice.answerTokens })}>{advice.label}</button>;
    case 'convert':
      return <button type="button" className="button" onClick={() => void updateSettings({ kvDtype: advice.kvDtype }).then(() => setView('models'))}>{advice.label}</button>;
    case 'documents':
      return <span className="subtle">{advice.label}</span>;
  }
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

// A book that does not fit is not a dead end: the catalog models (and the weights and cache) that would hold
// it on this computer, with what each costs, one click from their card; else the remote engines that serve a
// long enough context, or the advice to add one.
function WayForward({ tokens }: { tokens: number }) {
  const report = useApp((s) => s.catalogFit);
  const catalog = useApp((s) => s.catalog);
  const loadCatalogFit = useApp((s) => s.loadCatalogFit);
  const showInCatalog = useApp((s) => s.showInCatalog);
  const setEngine = useApp((s) => s.setDraftEngine);
  const setView = useApp((s) => s.setView);
  const engines = useApp((s) => s.engines);
  const checks = useApp((s) => s.engineChecks);
  useEffect(() => void loadCatalogFit().catch(() => undefined), [loadCatalogFit]);
  if (!report) return null;
  const local = modelsHolding(report, tokens).flatMap((h) => {
    const entry = catalog.find((e) => e.id === h.id);
    return entry ? [{ ...h, entry }] : [];
  });
  const remote = engines.flatMap((e) => (checks[e.id]?.models ?? []).flatMap((m) => (m.maxModelLen !== null && m.maxModelLen >= tokens ? [{ engine: e, model: m, context: m.maxModelLen }] : [])));
  return (
    <div className="way-forward" role="group" aria-label="What would hold these documents">
      {local.length > 0 ? (
        <>
          <p className="way-title">On this computer ({formatBytes(report.memory.availableBytes)} free), these would hold {tokens.toLocaleString()} tokens:</p>
          <ul className="way-list">
            {local.map(({ entry, option, downloadSeconds, convertSeconds }) => (
              <li key={entry.id}>
                <span>
                  <strong>{entry.name}</strong> · {option.precision.toUpperCase()} weights, {option.kv.toUpperCase()} cache: ≈ {formatTokens(option.maxTokens)} tokens here
                  <span className="subtle"> · download {formatBytes(entry.downloadBytes)} (≈ {formatDuration(downloadSeconds)}), conversion ≈ {formatDuration(convertSeconds)}, disk {formatBytes(option.diskBytes)}</span>
                </span>
                <button type="button" className="button small" onClick={() => showInCatalog(entry.id)}>Show {entry.name} in the catalog</button>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="way-title">No catalog model holds {tokens.toLocaleString()} tokens in this computer’s {formatBytes(report.memory.availableBytes)} of free memory.</p>
      )}
      {remote.length > 0 ? (
        <ul className="way-list">
          {remote.map(({ engine, model, context }) => (
            <li key={`${engine.id}/${model.id}`}>
              <span><strong>{model.id}</strong> on {engine.host} serves {formatTokens(context)} tokens of context</span>
              <button type="button" className="button small" onClick={() => setEngine({ engineId: engine.id, model: model.id })}>Ask {engine.name}</button>
            </li>
          ))}
        </ul>
      ) : local.length === 0 ? (
        <p className="way-remote">
          A remote engine serving at least {formatTokens(tokens)} tokens of context can (UltraLong on vLLM: docs/vllm.md).{' '}
          <button type="button" className="link-button" onClick={() => setView('settings')}>Add one in Settings → Engines</button>
        </p>
      ) : null}
    </div>
  );
}
