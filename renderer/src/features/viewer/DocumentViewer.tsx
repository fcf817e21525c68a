import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useApp } from '../../store/context.tsx';
import type { AppState } from '../../store/app-store.ts';
import { useDialogFocus } from '../../components/dialog-focus.ts';
import { documentItems, itemAt } from './document-blocks.ts';
import { highlighter } from './highlighter.tsx';
import { MarkdownBlockView } from './MarkdownBlockView.tsx';
import { PdfPage } from './PdfPage.tsx';
import { documentSections, findAll, sectionIndexAt, sectionTitle } from './sections.ts';
import { TextBlockView } from './TextBlockView.tsx';
import { useVirtualBlocks } from './virtual-blocks.ts';

const KIND_LABEL = { page: 'Page', cue: 'Cue at', chapter: 'Chapter', heading: 'Section', comment: '', part: 'Part' } as const;

type Viewer = NonNullable<AppState['viewer']>;

// Each document opens afresh: its find text, section and view mode are never the last document's.
export function DocumentViewer() {
  const viewer = useApp((s) => s.viewer);
  return viewer ? <ViewerDialog key={viewer.document.id} viewer={viewer} /> : null;
}

// Text takes about this many pixels a character at the viewer's font, lines this tall, paragraphs this far
// apart: a block's height until it is drawn and measured.
const CHAR_PX = 7.4;
const LINE_PX = 25.5;
const BLOCK_GAP_PX = 15;

function ViewerDialog({ viewer }: { viewer: Viewer }) {
  const close = useApp((s) => s.closeViewer);
  const doc = viewer.document;
  const sections = useMemo(() => documentSections(doc), [doc]);
  const items = useMemo(() => documentItems(doc, sections), [doc, sections]);
  const [index, setIndex] = useState(0);
  const [asPrinted, setAsPrinted] = useState(false);
  const loadOriginal = useApp((s) => s.loadOriginal);
  const mark = useRef<HTMLElement>(null);
  const dialog = useRef<HTMLDivElement>(null);
  const scroller = useRef<HTMLElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const estimate = useCallback(
    (i: number, width: number) => {
      const item = items[i];
      if (item.kind === 'label') return 25;
      return Math.ceil((item.chars * CHAR_PX) / Math.max(200, width - 56)) * LINE_PX + BLOCK_GAP_PX;
    },
    [items],
  );
  const blocks = useVirtualBlocks(scroller, list, items.length, estimate);
  // Find in the document's text (lower-cased once, when a search starts): every match, and which one is shown.
  const [query, setQuery] = useState('');
  const searching = query.trim() !== '';
  const haystack = useMemo(() => (searching ? doc.text.toLowerCase() : ''), [doc.text, searching]);
  const matches = useMemo(() => findAll(haystack, query), [haystack, query]);
  const [current, setCurrent] = useState(0);
  const found = query.trim() && matches.length > 0 ? { start: matches[current], end: matches[current] + query.trim().length } : null;
  const highlight = found ?? viewer.highlight;
  // A new quote or match is scrolled to and, once drawn, its mark centred; fetching the original (page view) must
  // not move anything.
  const markPending = useRef(false);
  const { reveal } = blocks;
  const inText = !(asPrinted && sections[index].kind === 'page');
  useEffect(() => {
    const at = highlight?.start ?? 0;
    setIndex(sectionIndexAt(sections, at));
    if (!highlight) return;
    reveal(itemAt(items, at));
    markPending.current = true;
  }, [found?.start, viewer.highlight, sections, items, reveal]);
  useLayoutEffect(() => {
    if (!markPending.current || !mark.current) return;
    markPending.current = false;
    mark.current.scrollIntoView?.({ block: 'center' });
  });
  useEffect(() => setCurrent(0), [query]);
  // In the text, the section shown is the one at the top of the view.
  useEffect(() => {
    if (inText) setIndex(sectionIndexAt(sections, items[blocks.top]?.start ?? 0));
  }, [blocks.top, inText, sections, items]);
  const go = useCallback(
    (to: number) => {
      const section = Math.max(0, Math.min(sections.length - 1, to));
      setIndex(section);
      reveal(itemAt(items, sections[section].start), 'top');
    },
    [sections, items, reveal],
  );
  const step = (by: number) => matches.length && setCurrent((c) => (c + by + matches.length) % matches.length);
  useDialogFocus(dialog, true);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close();
      else if (e.key === 'ArrowRight' && e.altKey) go(index + 1);
      else if (e.key === 'ArrowLeft' && e.altKey) go(index - 1);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [index, go, close]);
  const section = sections[index];
  // A book has hundreds of parts: their list is drawn once, not again at every scroll.
  const options = useMemo(() => sections.map((s, i) => <option key={i} value={i}>{sectionTitle(KIND_LABEL[s.kind], s.label)}</option>), [sections]);
  // One highlighter for all the blocks drawn: only the first marked piece takes the ref scrolled to.
  const marked = highlighter(highlight, mark);
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
            {query.trim() ? (matches.length ? `${current + 1} of ${matches.length}` : 'no match') : ''}
          </span>
          <button type="button" className="button small" disabled={matches.length < 2} onClick={() => step(-1)} aria-label="Previous match">↑</button>
          <button type="submit" className="button small" disabled={matches.length < 2} aria-label="Next match">↓</button>
        </form>
        <nav className="viewer-nav" aria-label="Document position">
          <button type="button" className="button small" disabled={index === 0} onClick={() => go(index - 1)}>‹ Previous</button>
          <label>
            <span className="sr-only">Go to</span>
            <select value={index} onChange={(e) => go(Number(e.target.value))} aria-label="Go to">
              {options}
            </select>
          </label>
          <span className="subtle">{index + 1} / {sections.length}</span>
          <button type="button" className="button small" disabled={index === sections.length - 1} onClick={() => go(index + 1)}>Next ›</button>
          {doc.format === 'pdf' && section.kind === 'page' ? (
            <div className="segmented view-mode" role="radiogroup" aria-label="Show">
              <button type="button" role="radio" aria-checked={!asPrinted} className={asPrinted ? '' : 'on'} onClick={() => (setAsPrinted(false), go(index))}>Text</button>
              <button type="button" role="radio" aria-checked={asPrinted} className={asPrinted ? 'on' : ''} onClick={() => (setAsPrinted(true), void loadOriginal())}>Page</button>
            </div>
          ) : null}
        </nav>
        {!inText ? (
          <div className="viewer-page">
            {viewer.original ? <PdfPage bytes={viewer.original} pageNumber={index + 1} find={query} /> : <p className="subtle">Loading the page…</p>}
          </div>
        ) : (
          <article className={`viewer-text${doc.format === 'md' ? ' viewer-markdown' : ''}`} data-testid="viewer-text" ref={scroller} onScroll={blocks.onScroll}>
            {/* The whole document's height, with only the blocks in view drawn at their place in it. */}
            <div className="viewer-column" style={{ height: blocks.total }}>
              <div className="viewer-blocks" ref={list} style={{ top: blocks.offset }}>
                {items.slice(blocks.first, blocks.last).map((item, k) => (
                  <div key={blocks.first + k} data-index={blocks.first + k} className="viewer-block">
                    {item.kind === 'label' ? (
                      <div className="viewer-label">{sectionTitle(KIND_LABEL[sections[item.section].kind], sections[item.section].label)}</div>
                    ) : item.kind === 'markdown' ? (
                      <MarkdownBlockView block={item.block} marked={marked} />
                    ) : (
                      <TextBlockView block={item.block} marked={marked} />
                    )}
                  </div>
                ))}
              </div>
            </div>
          </article>
        )}
      </div>
    </div>
  );
}
