import { useEffect } from 'react';
import type { FitAdvice, FitPlan } from '../../../../electron/common/contract.ts';
import { formatBytes, formatTokens } from '../../../../electron/common/format.ts';
import { modelsHolding } from '../catalog-here.ts';
import { formatDuration } from './progress.ts';
import { useApp } from '../../store/context.tsx';

// Whether the chosen documents fit the model's context and the memory of the device its cache lives in, with
// the choices and advice that would make them fit, and what would hold them where nothing does.
export function FitReport({ fit }: { fit: FitPlan }) {
  return (
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
