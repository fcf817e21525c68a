import { useEffect, useMemo, useRef, useState } from 'react';
import { useApp } from '../../store/context.tsx';
import type { AppState } from '../../store/app-store.ts';
import { useDialogFocus } from '../../components/dialog-focus.ts';
import { MarkdownText } from './MarkdownText.tsx';
import { PdfPage } from './PdfPage.tsx';
import { SectionText } from './SectionText.tsx';
import { documentSections, findAll, sectionIndexAt, sectionTitle } from './sections.ts';

const KIND_LABEL = { page: 'Page', cue: 'Cue at', chapter: 'Chapter', heading: 'Section', comment: '', part: 'Part' } as const;

type Viewer = NonNullable<AppState['viewer']>;

// Each document opens afresh: its find text, section and view mode are never the last document's.
export function DocumentViewer() {
  const viewer = useApp((s) => s.viewer);
  return viewer ? <ViewerDialog key={viewer.document.id} viewer={viewer} /> : null;
}

function ViewerDialog({ viewer }: { viewer: Viewer }) {
  const close = useApp((s) => s.closeViewer);
  const sections = useMemo(() => documentSections(viewer.document), [viewer.document]);
  const [index, setIndex] = useState(0);
  const [asPrinted, setAsPrinted] = useState(false);
  const loadOriginal = useApp((s) => s.loadOriginal);
  const mark = useRef<HTMLElement>(null);
  const dialog = useRef<HTMLDivElement>(null);
  // Find in the document: every match, and which one is shown.
  const [query, setQuery] = useState('');
  const matches = useMemo(() => findAll(viewer.document.text, query), [viewer.document.text, query]);
  const [current, setCurrent] = useState(0);
  const found = query.trim() && matches.length > 0 ? { start: matches[current], end: matches[current] + query.trim().length } : null;
  // A new document or a new quote moves to its section; fetching the original (page view) must not.
  const highlight = found ?? viewer.highlight;
  useEffect(() => {
    setIndex(highlight ? sectionIndexAt(sections, highlight.start) : 0);
  }, [highlight?.start, sections]);
  useEffect(() => setCurrent(0), [query]);
  const step = (by: number) => matches.length && setCurrent((c) => (c + by + matches.length) % matches.length);
  useEffect(() => {
    mark.current?.scrollIntoView?.({ block: 'center' });
  }, [index, viewer]);
  useDialogFocus(dialog, true);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close();
      else if (e.key === 'ArrowRight' && e.altKey) setIndex((i) => Math.min(sections.length - 1, i + 1));
      else if (e.key === 'ArrowLeft' && e.altKey) setIndex((i) => Math.max(0, i - 1));
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [sections.length, close]);
  const doc = viewer.document;
  const section = sections[index];
  const text = doc.text.slice(section.start, section.end);
  return (
    <div className="viewer-backdrop" onClick={close}>
      <div className="viewer" role="dialog" aria-modal="true" aria-label={`Document: ${doc.title}`} tabIndex={-1} ref={dialog} onClick={(e) => e.stopPropagation()}>
        <header className="viewer-head">
          <div>
            <h2>{doc.title}</h2>
            <span className="subtle">{doc.format.toUpperCase()} · {doc.chars.toLocaleString()} characters</span>
          </div>
          <button type="button" className="icon-button" aria-label="Close document" onClick={close}>×</button>
        </header>
        <form
          className="viewer-find"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            step(1);
          }}
        >
          <input type="search" aria-label="Find in document" placeholder="Find in document" value={query} onChange={(e) => setQuery(e.target.value)} />
          <span className="subtle" aria-live="polite" data-testid="find-count">
            {query.trim() ? (matches.length ? `${current + 1} of ${matches.length}${matches.length >= 10_000 ? '+' : ''}` : 'no match') : ''}
          </span>
          <button type="button" className="button small" disabled={matches.length < 2} onClick={() => step(-1)} aria-label="Previous match">↑</button>
          <button type="submit" className="button small" disabled={matches.length < 2} aria-label="Next match">↓</button>
        </form>
        <nav className="viewer-nav" aria-label="Document position">
          <button type="button" className="button small" disabled={index === 0} onClick={() => setIndex(index - 1)}>‹ Previous</button>
          <label>
            <span className="sr-only">Go to</span>
            <select value={index} onChange={(e) => setIndex(Number(e.target.value))} aria-label="Go to">
              {sections.map((s, i) => (
                <option key={i} value={i}>{sectionTitle(KIND_LABEL[s.kind], s.label)}</option>
              ))}
            </select>
          </label>
          <span className="subtle">{index + 1} / {sections.length}</span>
          <button type="button" className="button small" disabled={index === sections.length - 1} onClick={() => setIndex(index + 1)}>Next ›</button>
          {doc.format === 'pdf' && section.kind === 'page' ? (
            <div className="segmented view-mode" role="radiogroup" aria-label="Show">
              <button type="button" role="radio" aria-checked={!asPrinted} className={asPrinted ? '' : 'on'} onClick={() => setAsPrinted(false)}>Text</button>
              <button type="button" role="radio" aria-checked={asPrinted} className={asPrinted ? 'on' : ''} onClick={() => (setAsPrinted(true), void loadOriginal())}>Page</button>
            </div>
          ) : null}
        </nav>
        {asPrinted && section.kind === 'page' ? (
          <div className="viewer-page">
            {viewer.original ? <PdfPage bytes={viewer.original} pageNumber={index + 1} find={query} /> : <p className="subtle">Loading the page…</p>}
          </div>
        ) : (
          <article className={`viewer-text${doc.format === 'md' ? ' viewer-markdown' : ''}`} data-testid="viewer-text">
            {/* A heading's section opens with the heading itself, drawn as one. */}
            {section.kind === 'heading' ? null : <div className="viewer-label">{sectionTitle(KIND_LABEL[section.kind], section.label)}</div>}
            {doc.format === 'md' ? (
              <MarkdownText text={text} start={section.start} highlight={highlight} markRef={mark} />
            ) : (
              <SectionText doc={doc} section={section} highlight={highlight} markRef={mark} />
            )}
          </article>
        )}
      </div>
    </div>
  );
}
