import { useRef, useState, type DragEvent } from 'react';
import type { LibraryEntry } from '../../../electron/common/contract.ts';
import { DOCUMENT_EXTENSIONS, READABLE_FORMATS } from '../../../electron/common/document-files.ts';
import { OCR_LANGUAGE_NAMES, OCR_LANGUAGES, ocrNote, type OcrLanguage } from '../../../electron/common/ocr-languages.ts';
import { ConfirmButton } from '../components/ConfirmButton.tsx';
import { Icon } from '../components/icons.tsx';
import { formatTokens } from '../../../electron/common/format.ts';
import { useApp } from '../store/context.tsx';
import { visibleDocuments, type ImportJob } from '../store/library-slice.ts';
import { readOnlyReason } from '../store/database-slice.ts';
import { ProgressBar } from '../components/ProgressBar.tsx';

const ACCEPTED_EXTENSIONS = Object.keys(DOCUMENT_EXTENSIONS);

export function LibraryView() {
  const documents = useApp((s) => s.documents);
  const filter = useApp((s) => s.filter);
  const setFilter = useApp((s) => s.setFilter);
  const imports = useApp((s) => s.imports);
  const importFiles = useApp((s) => s.importFiles);
  const readOnly = useApp(readOnlyReason);
  const shown = visibleDocuments(documents, filter);
  return (
    <section className="view" aria-labelledby="library-title">
      <header className="view-head">
        <div>
          <h1 id="library-title">Library</h1>
          <p className="subtle">Every document goes into the model whole — no chunks, no retrieval, nothing left out.</p>
        </div>
        {documents.length > 0 ? (
          <label className="search">
            <Icon name="search" size={16} />
            <input type="search" placeholder="Filter by title" aria-label="Filter documents by title" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </label>
        ) : null}
      </header>
      <DemoModelNotice />
      <SampleOffer />
      <DropZone compact={documents.length > 0} readOnly={readOnly} onFiles={(files) => void importFiles(files)} />
      {imports.length > 0 ? (
        <ul className="imports" aria-label="Imports">
          {imports.map((job) => (
            <ImportRow key={job.name} job={job} />
          ))}
        </ul>
      ) : null}
      {documents.length > 0 ? <DocumentTable documents={shown} /> : null}
      {documents.length > 0 && shown.length === 0 ? <p className="subtle">No document title contains “{filter}”.</p> : null}
    </section>
  );
}

function DocumentTable({ documents }: { documents: LibraryEntry[] }) {
  return (
    <table className="doc-table">
      <thead>
        <tr>
          <th scope="col">Title</th>
          <th scope="col" className="wide-only">Format</th>
          <th scope="col" className="num wide-only">Pages</th>
          <th scope="col" className="num wide-only">Characters</th>
          <th scope="col" className="num" title="The document as the model is given it (its title and the prompt's framing included): the count the fit check and the answers show too">Tokens</th>
          <th scope="col" title="Whether the whole document and the answer's room fit the model in use: its context and this computer's memory">Fits the model</th>
          <th scope="col" className="wide-only">Added</th>
          <th scope="col"><span className="sr-only">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        {documents.map((doc) => (
          <DocumentRow key={doc.id} doc={doc} />
        ))}
      </tbody>
    </table>
  );
}

function DocumentRow({ doc }: { doc: LibraryEntry }) {
  const openViewer = useApp((s) => s.openViewer);
  return (
    <tr>
      <td>
        <span className="doc-title">
          <Icon name="doc" size={16} />
          <button type="button" className="title-button" title="Read this document" onClick={() => void openViewer(doc.id)}>{doc.title}</button>
        </span>
        <OcrNote warnings={doc.warnings} />
      </td>
      <td className="wide-only"><span className="badge">{doc.format.toUpperCase()}</span></td>
      <td className="num wide-only">{doc.pages || '—'}</td>
      <td className="num wide-only">{doc.chars.toLocaleString()}</td>
      <td className="num">{doc.tokens === null ? '—' : doc.tokens.toLocaleString()}</td>
      <td><FitBadge fit={doc.fit} /></td>
      <td className="wide-only">{new Date(doc.importedAt).toLocaleDateString()}</td>
      <td className="actions">
        <DocumentActions doc={doc} />
      </td>
    </tr>
  );
}

function DocumentActions({ doc }: { doc: LibraryEntry }) {
  const deleteDocument = useApp((s) => s.deleteDocument);
  const newConversation = useApp((s) => s.newConversation);
  // A remote engine answers as well as an installed model.
  const hasModel = useApp((s) => s.installed.length > 0 || s.engines.length > 0);
  // A damaged database takes no import, conversation or deletion: each control says why it is off.
  const readOnly = useApp(readOnlyReason);
  return (
    <>
      <button type="button" className="button small" disabled={!hasModel || readOnly !== null} title={readOnly ?? (hasModel ? 'Ask about this document' : 'Install a model or add an engine first')} onClick={() => newConversation([doc.id])}>
        Ask
      </button>
      <ConfirmButton
        className="icon-button"
        label={`Delete ${doc.title}`}
        question={`Delete “${doc.title}” and its saved cache?`}
        confirm="Delete"
        disabled={readOnly !== null}
        title={readOnly ?? undefined}
        onConfirm={() => void deleteDocument(doc.id)}
      >
        <Icon name="trash" size={16} />
      </ConfirmButton>
    </>
  );
}

// With the demo model and an empty library, the fastest way to see Quire work: a sample book and its question.
function SampleOffer() {
  const demo = useApp((s) => (s.installed.find((m) => m.id === s.settings?.modelId) ?? s.installed[0])?.demo ?? false);
  const empty = useApp((s) => s.documents.length === 0);
  const trySample = useApp((s) => s.trySample);
  const readOnly = useApp(readOnlyReason);
  const [busy, setBusy] = useState(false);
  if (!demo || !empty) return null;
  return (
    <div className="sample-offer card">
      <div>
        <strong>New here? Try a sample document.</strong>
        <p className="subtle">A short book with a fact hidden past its middle, made for the demo model, and the question to ask it. The answer quotes it and links to its place.</p>
      </div>
      <button
        type="button"
        className="button primary"
        disabled={busy || readOnly !== null}
        title={readOnly ?? undefined}
        onClick={() => {
          setBusy(true);
          void trySample().finally(() => setBusy(false));
        }}
      >
        Try a sample document
      </button>
    </div>
  );
}

// Said plainly wherever a demo model is the one in use: it is not a general model.
function DemoModelNotice() {
  const model = useApp((s) => s.installed.find((m) => m.id === s.settings?.modelId) ?? s.installed[0]);
  const setView = useApp((s) => s.setView);
  if (!model?.demo) return null;
  return (
    <div className="demo-note demo-banner" role="note">
      <span>
        <strong>{model.name}</strong> is a tiny demonstration model. It finds facts such as “The passkey of the river is 12345.” in long synthetic
        documents like those it was trained on, and writes meaningless text about real ones. Install a real model for your documents.
      </span>
      <button type="button" className="button small" onClick={() => setView('models')}>Open models</button>
    </div>
  );
}

const PHASES = { hash: 'Checking the file', extract: 'Extracting text', ocr: 'Reading scanned pages', store: 'Saving' } as const;

function importStatus(job: ImportJob): string | undefined {
  const p = job.progress;
  if (job.state === 'failed') return job.error;
  if (job.state === 'waiting') return 'Waiting';
  if (!p) return 'Extracting text…';
  // OCR reads a page in seconds: the page it has reached, not a bare count, tells the user it is moving.
  if (p.phase === 'ocr' && p.total) return `OCR page ${Math.min(p.done + 1, p.total)} of ${p.total}…`;
  return `${PHASES[p.phase]}${p.phase === 'extract' && p.total ? ` · ${p.done} of ${p.total}` : ''}…`;
}

function ImportRow({ job }: { job: ImportJob }) {
  const dismiss = useApp((s) => s.dismissImport);
  const cancel = useApp((s) => s.cancelImport);
  const p = job.progress;
  const fraction = p && p.total > 0 ? Math.min(1, p.done / p.total) : null;
  return (
    <li className={`import ${job.state}`}>
      <span className="import-name">{job.name}</span>
      <span className="import-state">{importStatus(job)}</span>
      {job.state === 'importing' ? (
        <button type="button" className="button small" aria-label={`Cancel importing ${job.name}`} onClick={() => void cancel(job.name)}>Cancel</button>
      ) : null}
      {job.locked ? <PasswordForm name={job.name} /> : null}
      {job.state === 'waiting' ? null : job.state !== 'failed' ? (
        <ProgressBar fraction={fraction} label={`Importing ${job.name}`} />
      ) : (
        <button type="button" className="icon-button" aria-label={`Dismiss ${job.name}`} onClick={() => dismiss(job.name)}>×</button>
      )}
    </li>
  );
}

// A PDF refused as password-protected asks for its password; it lives in this form until sent, then only in
// that one import call.
function PasswordForm({ name }: { name: string }) {
  const unlock = useApp((s) => s.unlockImport);
  const [password, setPassword] = useState('');
  return (
    <form
      className="import-password"
      onSubmit={(e) => {
        e.preventDefault();
        const given = password;
        setPassword('');
        if (given) void unlock(name, given);
      }}
    >
      <input type="password" className="text-input" aria-label={`Password for ${name}`} placeholder="Password" autoComplete="off" value={password} onChange={(e) => setPassword(e.target.value)} />
      <button type="submit" className="button small" disabled={!password}>Open</button>
    </form>
  );
}

// A document whose text was read by OCR says so under its title: which pages, and how sure the OCR was.
function OcrNote({ warnings }: { warnings: string[] }) {
  const note = ocrNote(warnings);
  if (!note) return null;
  const low = warnings.find((w) => w.startsWith('low OCR confidence'));
  return (
    <span className={`doc-note${low ? ' warn' : ''}`} title={low ?? note}>
      <span className="badge">OCR</span> {note[0].toUpperCase() + note.slice(1)}
    </span>
  );
}

function OcrLanguageSelect() {
  const language = useApp((s) => s.ocrLanguage);
  const setLanguage = useApp((s) => s.setOcrLanguage);
  return (
    <label className="ocr-language" title="Scanned pages have no text: Quire reads them by OCR, on this computer, in this language">
      <span className="subtle">Scans in</span>
      <select aria-label="Language of scanned pages" value={language} onChange={(e) => setLanguage(e.target.value as OcrLanguage)}>
        {OCR_LANGUAGES.map((code) => (
          <option key={code} value={code}>{OCR_LANGUAGE_NAMES[code]}</option>
        ))}
      </select>
    </label>
  );
}

// Whether the whole document (and the answer's room) fits the model in use, at the context it really has
// ("—" until a model is installed); the reason is one hover away.
function FitBadge({ fit }: { fit: LibraryEntry['fit'] }) {
  if (fit === null) return <span className="subtle">—</span>;
  return (
    <span className={`badge fit-badge${fit.fits ? '' : ' no'}`} title={`${fit.modelName}: ${fit.reason}`}>
      {fit.fits ? `✓ ${formatTokens(fit.context)}` : `✗ does not fit ${formatTokens(fit.context)}`}
    </span>
  );
}

function DropZone({ compact, readOnly, onFiles }: { compact: boolean; readOnly: string | null; onFiles: (files: File[]) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    const files = [...event.dataTransfer.files];
    if (files.length > 0 && readOnly === null) onFiles(files);
  };
  return (
    <div
      className={`dropzone${compact ? ' compact' : ''}${over ? ' over' : ''}`}
      data-testid="dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <div className="dropzone-icon"><Icon name="upload" size={compact ? 20 : 32} /></div>
      <div className="dropzone-text">
        <strong>Drop books, papers and transcripts here</strong>
        {readOnly ? <span className="subtle warn">{readOnly}</span> : compact ? null : <span className="subtle">{READABLE_FORMATS} — read on this computer, never uploaded.</span>}
      </div>
      <OcrLanguageSelect />
      <button type="button" className="button" disabled={readOnly !== null} title={readOnly ?? undefined} onClick={() => input.current?.click()}>Choose files…</button>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        accept={ACCEPTED_EXTENSIONS.join(',')}
        aria-label="Choose files to import"
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = '';
          if (files.length > 0) onFiles(files);
        }}
      />
    </div>
  );
}
