import { useEffect, useRef, useState } from 'react';
import { HubToken } from './HubToken.tsx';
import { NiahChart } from './NiahChart.tsx';
import type { CatalogEntry, InstallRequest, RemoteChoice } from '../../../electron/common/contract.ts';
import { modelIdForFolder, modelIdForRepo } from '../../../electron/common/model-id.ts';
import { installKv } from '../../../models/model-spec.ts';
import { ConfirmButton } from '../components/ConfirmButton.tsx';
import { Icon } from '../components/icons.tsx';
import { formatBytes, formatTokens } from '../../../electron/common/format.ts';
import { useApp } from '../store/context.tsx';
import { formatDuration } from './chat/progress.ts';
import { EnginePicker } from './chat/EnginePicker.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { computeLabel, useEngineStatus } from './engine-status.ts';
import { recommendedModel } from './catalog-here.ts';
import { loadCheckFraction, loadCheckLabel } from './load-check.ts';

type Precision = InstallRequest['precision'];
const PRECISIONS: { value: Precision; label: string }[] = [
  { value: 'int4', label: 'INT4 weights · smallest' },
  { value: 'fp16', label: 'FP16 weights' },
  { value: 'fp32', label: 'FP32 weights · exact, largest' },
];

// Reads the model's files back against the checksums recorded when it was converted.
function VerifyButton({ id, name }: { id: string; name: string }) {
  const verify = useApp((s) => s.verifyModel);
  const running = useApp((s) => s.verifications[id]?.running ?? false);
  return (
    <button type="button" className="link-button" disabled={running} onClick={() => void verify(id)} aria-label={`Verify ${name}`}>
      {running ? 'Verifying…' : 'Verify'}
    </button>
  );
}

function VerifyStatus({ id }: { id: string }) {
  const v = useApp((s) => s.verifications[id]);
  if (!v) return null;
  if (v.running) return <ProgressBar fraction={v.totalBytes ? v.doneBytes / v.totalBytes : 0} label="Verification progress" />;
  const text = v.status === 'ok' ? `Verified: ${v.message}.` : v.status === 'failed' ? `Damaged: ${v.message}.` : `Not verifiable: ${v.message}.`;
  return (
    <p className={`subtle${v.status === 'ok' ? '' : ' warn'}`} role="status">
      {text}
    </p>
  );
}

// The full check a load makes of files that changed since they were verified: its progress, or the damage found.
function LoadCheckStatus({ id }: { id: string }) {
  const check = useApp((s) => s.loadChecks[id]);
  if (!check) return null;
  if (check.error !== null) {
    return (
      <p className="subtle warn" role="status">
        Damaged: {check.error}.
      </p>
    );
  }
  return (
    <div className="load-check" role="status">
      <span className="subtle">{loadCheckLabel(check)}</span>
      <ProgressBar fraction={loadCheckFraction(check)} label="Model file check progress" />
    </div>
  );
}

export function ModelsView() {
  const catalog = useApp((s) => s.catalog);
  const installed = useApp((s) => s.installed);
  const engines = useApp((s) => s.engines);
  const settings = useApp((s) => s.settings);
  const updateSettings = useApp((s) => s.updateSettings);
  const removeModel = useApp((s) => s.removeModel);
  const loadCatalogFit = useApp((s) => s.loadCatalogFit);
  const report = useApp((s) => s.catalogFit);
  const active = settings?.modelId ?? installed[0]?.id ?? null;
  // What runs here follows the memory free now and the compute chosen in Settings: asked each time the screen opens.
  useEffect(() => void loadCatalogFit().catch(() => undefined), [loadCatalogFit, settings?.provider]);
  const loadPausedDownloads = useApp((s) => s.loadPausedDownloads);
  // A download paused before a restart is found again here and offered for resuming.
  useEffect(() => void loadPausedDownloads().catch(() => undefined), [loadPausedDownloads]);
  const recommended = report ? recommendedModel(report, (id) => catalog.find((e) => e.id === id)?.nativeContext ?? 0) : null;
  return (
    <section className="view" aria-labelledby="models-title">
      <header className="view-head">
        <div>
          <h1 id="models-title">Models</h1>
          <p className="subtle">Quire runs the model on this computer. Nothing you ask or import leaves it.</p>
        </div>
      </header>
      <EngineCard />
      <h2 className="section-title">Installed</h2>
      {installed.length === 0 ? (
        <div className="empty-card" data-testid="no-models">
          <strong>No model installed yet.</strong>
          <span className="subtle">Pick one from the catalog below. Models are downloaded and converted once on this machine, then load in seconds.</span>
        </div>
      ) : (
        <ul className="cards" aria-label="Installed models">
          {installed.map((model) => (
            <li key={model.id} className={`card${active === model.id ? ' selected' : ''}`}>
              <div className="card-head">
                <strong>{model.name}</strong>
                {model.demo ? <span className="badge warn" title="A tiny demonstration model: it writes meaningless text about real documents">Demo model</span> : null}
              </div>
              <dl className="facts">
                <div><dt>Precision</dt><dd>{model.precision}</dd></div>
                <div><dt>Context</dt><dd>{formatTokens(model.contextTokens)}</dd></div>
                <div><dt>Document cache</dt><dd>{model.kvDtype.toUpperCase()} · {formatBytes(model.kvBytesPerToken)}/token</dd></div>
                <div><dt>On disk</dt><dd>{formatBytes(model.bytes)}</dd></div>
              </dl>
              <div className="card-actions">
                <button type="button" className="button" disabled={active === model.id} onClick={() => void updateSettings({ modelId: model.id })}>
                  {active === model.id ? 'In use' : 'Use this model'}
                </button>
                <VerifyButton id={model.id} name={model.name} />
                <ConfirmButton className="link-button danger-link" label={`Remove ${model.name}`} question={`Remove ${model.name} from this computer?`} confirm="Remove" onConfirm={() => void removeModel(model.id)}>
                  Remove
                </ConfirmButton>
              </div>
              <VerifyStatus id={model.id} />
              <LoadCheckStatus id={model.id} />
            </li>
          ))}
        </ul>
      )}
      {installed.length > 0 || engines.length > 0 ? <SelfCheck /> : null}
      <h2 className="section-title">Catalog</h2>
      <ul className="cards" aria-label="Model catalog">
        {catalog.map((entry) => (
          <CatalogCard key={entry.id} entry={entry} installed={installed.some((m) => m.id === entry.id)} recommended={entry.id === recommended} />
        ))}
      </ul>
      <h2 className="section-title">From Hugging Face</h2>
      <HubInstall />
      <HubToken />
      <h2 className="section-title">From a folder on this computer</h2>
      <FolderInstall />
    </section>
  );
}

function EngineCard() {
  const engine = useEngineStatus();
  const provider = useApp((s) => s.settings?.provider ?? 'auto');
  if (!engine) return null;
  return (
    <div className="engine-card" data-testid="engine-status">
      <div>
        <div className="foot-label">Compute</div>
        <strong>{computeLabel(engine, provider)}</strong>
        {engine.reason ? <div className="subtle">{engine.reason}</div> : null}
      </div>
      <div>
        <div className="foot-label">Memory</div>
        <strong>{formatBytes(engine.availableBytes)} free of {formatBytes(engine.totalBytes)}</strong>
        {engine.context ? <div className="subtle">Loaded with a {formatTokens(engine.context)}-token context</div> : null}
      </div>
    </div>
  );
}

// A short needle-in-a-haystack run at the chosen context: can this model, on this machine, find a fact
// anywhere in a document as long as the ones you will give it?
function SelfCheck() {
  const check = useApp((s) => s.selfCheck);
  const run = useApp((s) => s.runSelfCheck);
  const cancel = useApp((s) => s.cancelSelfCheck);
  const loadRemoteModels = useApp((s) => s.loadRemoteModels);
  const hasLocal = useApp((s) => s.installed.length > 0);
  const engines = useApp((s) => s.engines);
  // Where the check runs: the local model, or a remote engine's model (up to the server's context).
  const [engine, setEngine] = useState<RemoteChoice | null>(null);
  // The engines' models are asked for when the user wants them, not each time this screen opens.
  const listed = useApp((s) => s.engines.some((e) => s.engineChecks[e.id]?.models));
  // The engine caps the chosen context at the model's own.
  const localContext = useApp((s) => Math.min(s.settings?.contextTokens ?? 0, (s.installed.find((m) => m.id === s.settings?.modelId) ?? s.installed[0])?.contextTokens ?? 0));
  const remoteContext = useApp((s) => (engine ? (s.engineChecks[engine.engineId]?.models?.find((m) => m.id === engine.model)?.maxModelLen ?? 0) : 0));
  const context = engine ? remoteContext : localContext;
  const fraction = check.total > 0 ? check.done / check.total : null;
  return (
    <section className="card self-check" aria-labelledby="self-check-title">
      <div className="card-head">
        <div>
          <h2 id="self-check-title" className="card-title">Self-check</h2>
          <p className="card-text">Hides a passkey at five depths of generated documents up to {formatTokens(context)} tokens and asks for it back: does the model find a fact anywhere in a document that long, not only near its start and end?</p>
        </div>
        <button type="button" className="button" disabled={check.running || (!engine && !hasLocal)} onClick={() => void run(engine)}>
          {check.running ? 'Running…' : check.result ? 'Run again' : 'Run self-check'}
        </button>
      </div>
      {listed ? (
        <EnginePicker value={engine} onChange={setEngine} disabled={check.running} />
      ) : engines.length > 0 ? (
        <button type="button" className="link-button" onClick={() => void loadRemoteModels()}>Check a remote engine’s model</button>
      ) : null}
      {check.running ? (
        <div className="progress" data-testid="self-check-progress">
          <div className="progress-row">
            <span className="progress-label">{check.total ? `${check.done} of ${check.total} cells` : 'Loading the model…'}</span>
            <button type="button" className="link-button" onClick={() => void cancel()}>Cancel</button>
          </div>
          <ProgressBar fraction={fraction} label="Self-check progress" />
          {check.cells.length > 0 ? <NiahChart cells={check.cells} label="Self-check so far, cell by cell" /> : null}
        </div>
      ) : null}
      {check.error ? <p className="install-error" role="alert">{check.error}</p> : null}
      {check.result ? (
        <div className="self-check-result" data-testid="self-check-result">
          <strong>{Math.round(check.result.mean * 100)}% of needles found</strong>
          <NiahChart cells={check.result.cells} label={`Self-check: ${Math.round(check.result.mean * 100)}% of needles found, by document length and where the fact was`} />
        </div>
      ) : null}
    </section>
  );
}

function InstallProgressBar({ id }: { id: string }) {
  const job = useApp((s) => s.installs[id]);
  const cancel = useApp((s) => s.cancelInstall);
  if (!job) return null;
  if (job.error) return <p className="install-error" role="alert">{job.error}</p>;
  const p = job.progress;
  const fraction = p && p.total > 0 ? Math.min(1, p.done / p.total) : null;
  const downloading = !p || p.phase === 'download';
  const label = !p
    ? 'Starting…'
    : `${p.phase === 'download' ? 'Downloading' : 'Converting'} ${formatBytes(p.done)} of ${formatBytes(p.total)} · ${formatBytes(p.bytesPerSecond)}/s${p.etaSeconds > 0 ? ` · ${formatDuration(p.etaSeconds)} left` : ''}`;
  return (
    <div className="progress" data-testid={`install-${id}`}>
      <div className="progress-row">
        <span className="progress-label">{label}</span>
        {/* While downloading, stopping keeps what has arrived (Resume continues it); a conversion starts over. */}
        <button type="button" className="link-button" title={downloading ? 'Stop for now; what is downloaded is kept' : undefined} onClick={() => void cancel(id)}>{downloading ? 'Pause' : 'Cancel'}</button>
      </div>
      <ProgressBar fraction={fraction} label={`Installing ${id}`} />
    </div>
  );
}

// What an install converts to on this machine: the cache chosen in Settings where the device runs it (else the
// first it does), and only the weight precisions that convert with that cache.
function useInstallChoice() {
  const settings = useApp((s) => s.settings);
  const choices = useApp((s) => s.choices);
  const valid = choices?.choices ?? [];
  const kv = settings ? installKv(valid, settings.kvDtype) : null;
  const precisions = PRECISIONS.filter((p) => valid.some((c) => c.precision === p.value && c.kv === kv));
  return { kv, precisions, substituted: kv !== null && kv !== settings?.kvDtype, float16: choices?.float16 ?? true };
}

function PrecisionSelect({ value, onChange, label }: { value: Precision; onChange: (p: Precision) => void; label: string }) {
  const { precisions } = useInstallChoice();
  return (
    <select aria-label={label} value={precisions.some((p) => p.value === value) ? value : precisions[0]?.value} onChange={(e) => onChange(e.target.value as Precision)}>
      {precisions.map((p) => (
        <option key={p.value} value={p.value}>{p.label}</option>
      ))}
    </select>
  );
}

// The precision an install sends: the one picked, or the first offered when the picked one does not run here.
function usePrecision(): [Precision, (p: Precision) => void, ReturnType<typeof useInstallChoice>] {
  const choice = useInstallChoice();
  const [picked, setPicked] = useState<Precision>('int4');
  const precision = choice.precisions.some((p) => p.value === picked) ? picked : (choice.precisions[0]?.value ?? picked);
  return [precision, setPicked, choice];
}

function KvNote({ kv, substituted, float16 }: { kv: string | null; substituted: boolean; float16: boolean }) {
  if (!kv || !substituted) return null;
  return (
    <p className="subtle kv-note">
      Document cache {kv.toUpperCase()}: the one chosen in Settings does not run here{float16 ? '' : ' (this GPU has no 16-bit float shaders)'}.
    </p>
  );
}

function CatalogCard({ entry, installed, recommended }: { entry: CatalogEntry; installed: boolean; recommended: boolean }) {
  const install = useApp((s) => s.installModel);
  const running = useApp((s) => Boolean(s.installs[entry.id]) && !s.installs[entry.id].error);
  const focused = useApp((s) => s.catalogFocus === entry.id);
  const paused = useApp((s) => (s.installs[entry.id] ? undefined : s.pausedDownloads[entry.id]));
  const card = useRef<HTMLLIElement>(null);
  const [precision, setPrecision, { kv, substituted, float16 }] = usePrecision();
  // Sent here from a conversation's fit panel: the card comes into view, marked.
  useEffect(() => {
    if (focused) card.current?.scrollIntoView?.({ block: 'center' });
  }, [focused]);
  return (
    <li ref={card} className={`card${focused ? ' focused' : ''}`} aria-current={focused ? 'true' : undefined}>
      <div className="card-head">
        <strong>{entry.name}</strong>
        {recommended ? <span className="badge ok">Recommended for this computer</span> : null}
        <span className="badge">{formatTokens(entry.nativeContext)} context</span>
      </div>
      <p className="card-text">{entry.description}</p>
      <dl className="facts">
        <div><dt>Parameters</dt><dd>{entry.parameters}</dd></div>
        <div><dt>Download</dt><dd>{formatBytes(entry.downloadBytes)}</dd></div>
        <div><dt>Source</dt><dd className="mono">{entry.hfRepo}</dd></div>
      </dl>
      <HereFacts entry={entry} precision={precision} />
      <a className="licence" href={entry.licenceUrl} target="_blank" rel="noopener noreferrer">
        Licence: {entry.licence} <Icon name="external" size={13} />
      </a>
      {installed ? (
        <span className="badge">Installed</span>
      ) : (
        <div className="card-actions">
          <PrecisionSelect value={precision} onChange={setPrecision} label={`Precision for ${entry.name}`} />
          <button type="button" className="button primary" disabled={running || !kv} onClick={() => void install(entry.id, { catalogId: entry.id, precision, ...(kv ? { kv } : {}) })}>
            {paused ? 'Resume download' : 'Download and convert'}
          </button>
        </div>
      )}
      {paused && !installed ? <p className="subtle" role="status">Paused with {formatBytes(paused)} of {formatBytes(entry.downloadBytes)} downloaded.</p> : null}
      {installed ? null : <KvNote kv={kv} substituted={substituted} float16={float16} />}
      <InstallProgressBar id={entry.id} />
    </li>
  );
}

// Any Llama-3.x checkpoint on the hub, by its repository.
function HubInstall() {
  return (
    <SourceInstall
      description="Any Llama-3.x checkpoint in Hugging Face format (safetensors) — it is downloaded with resume and checksums, then converted here."
      label="Hugging Face repository"
      precisionLabel="Precision for the repository"
      placeholder="owner/model-name"
      action="Install"
      idFor={modelIdForRepo}
      valid={(text) => /^[^/\s]+\/[^/\s]+$/.test(text)}
      request={(repo) => ({ repo })}
    />
  );
}

// A model already on this computer: a Hugging Face checkpoint downloaded before (converted here, the folder
// left as it is), or a converted Quire model folder (copied in).
function FolderInstall() {
  return (
    <SourceInstall
      description="The full path of a folder with a Llama-3.x checkpoint (config.json and .safetensors), converted here, or of a model Quire converted (quire.json), copied in as it is."
      label="Model folder"
      precisionLabel="Precision for the folder"
      placeholder="/home/you/models/Llama-3.1-8B-Instruct"
      action="Install from folder"
      idFor={modelIdForFolder}
      valid={(text) => modelIdForFolder(text) !== ''}
      request={(folder) => ({ folder })}
    />
  );
}

// An install from a source the user names (a repository, a folder), at the precision chosen, its progress
// followed under the model id the installer will give it.
function SourceInstall(props: {
  description: string;
  label: string;
  precisionLabel: string;
  placeholder: string;
  action: string;
  idFor: (source: string) => string;
  valid: (source: string) => boolean;
  request: (source: string) => { repo: string } | { folder: string };
}) {
  const install = useApp((s) => s.installModel);
  const [source, setSource] = useState('');
  const [precision, setPrecision, { kv }] = usePrecision();
  const text = source.trim();
  const id = props.idFor(source);
  return (
    <form
      className="hub-install card"
      onSubmit={(e) => {
        e.preventDefault();
        if (props.valid(text)) void install(id, { ...props.request(text), precision, ...(kv ? { kv } : {}) });
      }}
    >
      <p className="card-text">{props.description}</p>
      <div className="card-actions">
        <input className="text-input" aria-label={props.label} placeholder={props.placeholder} value={source} onChange={(e) => setSource(e.target.value)} />
        <PrecisionSelect value={precision} onChange={setPrecision} label={props.precisionLabel} />
        <button type="submit" className="button primary" disabled={!props.valid(text)}>{props.action}</button>
      </div>
      {id ? <InstallProgressBar id={id} /> : null}
    </form>
  );
}

const PRECISION_NAMES: Record<Precision, string> = { int4: 'INT4', fp16: 'FP16', fp32: 'FP32' };

// What this model would be here, from the memory planner: the context each cache holds with the weights
// chosen above, the disk a conversion needs, how long it takes, and Quire's recommendation.
function HereFacts({ entry, precision }: { entry: CatalogEntry; precision: Precision }) {
  const report = useApp((s) => s.catalogFit);
  const here = report?.models.find((m) => m.id === entry.id);
  if (!report || !here) return null;
  const rows = here.options.filter((o) => o.precision === precision);
  const best = here.options.find((o) => o.recommended);
  return (
    <div className="here" data-testid={`here-${entry.id}`}>
      <div className="foot-label">On this computer · {formatBytes(report.memory.availableBytes)} of {report.memory.device} free</div>
      <ul className="here-tokens" aria-label={`Context ${entry.name} holds here with ${PRECISION_NAMES[precision]} weights`}>
        {rows.map((o) => (
          <li key={o.kv} className={o.maxTokens > 0 ? '' : 'no-fit'}>
            {o.maxTokens === 0
              ? `Does not fit with an ${o.kv.toUpperCase()} cache`
              : `≈ ${formatTokens(o.maxTokens)} tokens${o.maxTokens === entry.nativeContext ? ' (its whole context)' : ''} with an ${o.kv.toUpperCase()} cache`}
          </li>
        ))}
      </ul>
      {rows[0] ? (
        <p className="subtle here-cost">
          Disk needed {formatBytes(rows[0].diskBytes)} (download and converted model) · download ≈ {formatDuration(here.downloadSeconds)} at{' '}
          {formatBytes(report.downloadBytesPerSecond)}/s{report.downloadSpeedMeasured ? ' (measured here)' : ' (assumed until a download is measured)'} · conversion ≈ {formatDuration(here.convertSeconds)}
        </p>
      ) : null}
      {best ? (
        <p className="here-pick">
          Recommended here: {PRECISION_NAMES[best.precision]} weights with an {best.kv.toUpperCase()} cache, ≈ {formatTokens(best.maxTokens)} tokens
        </p>
      ) : (
        <p className="here-pick warn">Too large for this computer’s memory at every precision: a remote engine can run it (Settings → Engines).</p>
      )}
    </div>
  );
}
