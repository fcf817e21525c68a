import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode, type RefObject } from 'react';
import { useApp } from '../../store/context.tsx';
import type { AppState } from '../../store/app-store.ts';
import { useDialogFocus } from '../../components/dialog-focus.ts';
import { documentItems, itemAt, type ViewerItem } from './document-blocks.ts';
import { highlighter } from './highlighter.tsx';
import { MarkdownBlockView } from './MarkdownBlockView.tsx';
import { PdfPage } from './PdfPage.tsx';
import { documentSections, findAll, sectionIndexAt, sectionTitle, type Section } from './sections.ts';
import { TextBlockView } from './TextBlockView.tsx';
import { useVirtualBlocks, type VirtualBlocks } from './virtual-blocks.ts';

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

function estimatedHeight(items: ViewerItem[]) {
  return (i: number, width: number) => {
    const item = items[i];
    if (item.kind === 'label') return 25;
    return Math.ceil((item.chars * CHAR_PX) / Math.max(200, width - 56)) * LINE_PX + BLOCK_GAP_PX;
  };
}

// The items in one virtual column, a block each, their text's start its place when they are cut anew.
function useItemBlocks(scroller: RefObject<HTMLElement | null>, list: RefObject<HTMLDivElement | null>, items: ViewerItem[]): VirtualBlocks {
  const estimate = useMemo(() => estimatedHeight(items), [items]);
  const startOf = useCallback((i: number) => items[i].start, [items]);
  return useVirtualBlocks(scroller, list, items.length, estimate, startOf);
}

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
  const blocks = useItemBlocks(scroller, list, items);
  useRestOfText(doc);
  const find = useFind(doc.text, !doc.loaded);
  const highlight = find.found ?? viewer.highlight;
  // A new quote or match is scrolled to and, once drawn, its mark centred; fetching the original (page view) must
  // not move anything, nor the rest of the text arriving (the view keeps its place, see useVirtualBlocks).
  const markPending = useRef(false);
  const revealedFor = useRef<unknown[] | null>(null);
  const { reveal } = blocks;
  const inText = !(asPrinted && sections[index].kind === 'page');
  useEffect(() => {
    const at = highlight?.start ?? 0;
    setIndex(sectionIndexAt(sections, at));
    const target = [find.found?.start, viewer.highlight];
    const revealed = revealedFor.current?.every((value, i) => value === target[i]);
    revealedFor.current = target;
    if (!highlight || revealed) return;
    reveal(itemAt(items, at));
    markPending.current = true;
  }, [find.found?.start, viewer.highlight, sections, items, reveal]);
  useLayoutEffect(() => {
    if (!markPending.current || !mark.current) return;
    markPending.current = false;
    mark.current.scrollIntoView?.({ block: 'center' });
  });
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
  useDialogFocus(dialog, true);
  useViewerKeys(index, go, close);
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
        <FindBar find={find} />
        <ViewerNav sections={sections} index={index} go={go}>
          {doc.format === 'pdf' && sections[index].kind === 'page' ? (
            <ViewMode asPrinted={asPrinted} onText={() => (setAsPrinted(false), go(index))} onPage={() => (setAsPrinted(true), void loadOriginal())} />
          ) : null}
        </ViewerNav>
        {!inText ? (
          <div className="viewer-page">
            {viewer.original ? <PdfPage bytes={viewer.original} pageNumber={index + 1} find={find.query} /> : <p className="subtle">Loading the page…</p>}
          </div>
        ) : (
          // One highlighter for all the blocks drawn: only the first marked piece takes the ref scrolled to.
          <ViewerText markdown={doc.format === 'md'} busy={!!doc.loaded} scroller={scroller} list={list} blocks={blocks} items={items} sections={sections} marked={highlighter(highlight, mark)} />
        )}
      </div>
    </div>
  );
}

// The rest of a long document's text is fetched once its first screen is painted, so that its frames never
// hold the first paint back.
function useRestOfText(doc: Viewer['document']) {
  const loadRest = useApp((s) => s.loadRestOfText);
  const partial = !!doc.loaded;
  useEffect(() => {
    if (!partial) return;
    let painted = 0;
    const frame = requestAnimationFrame(() => (painted = window.setTimeout(() => void loadRest())));
    return () => (cancelAnimationFrame(frame), clearTimeout(painted));
  }, [partial, loadRest]);
}

// Find in the document's text (lower-cased once, when a search starts): every match, and which one is shown.
// The whole text is searched, so a search waits until it has all arrived (`complete`).
function useFind(text: string, complete: boolean) {
  const [query, setQuery] = useState('');
  const searching = query.trim() !== '';
  const haystack = useMemo(() => (searching && complete ? text.toLowerCase() : ''), [text, searching, complete]);
  const matches = useMemo(() => findAll(haystack, query), [haystack, query]);
  const [current, setCurrent] = useState(0);
  useEffect(() => setCurrent(0), [query]);
  const found = searching && matches.length > 0 ? { start: matches[current], end: matches[current] + query.trim().length } : null;
  const step = (by: number) => matches.length && setCurrent((c) => (c + by + matches.length) % matches.length);
  return { query, setQuery, matches, current, found, step, waiting: searching && !complete };
}

function FindBar({ find }: { find: ReturnType<typeof useFind> }) {
  const { query, matches, current, step, waiting } = find;
  return (
    <form
      className="viewer-find"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        step(1);
      }}
    >
      <input type="search" aria-label="Find in document" placeholder="Find in document" value={query} onChange={(e) => find.setQuery(e.target.value)} />
      <span className="subtle" aria-live="polite" data-testid="find-count">
        {waiting ? 'searching…' : query.trim() ? (matches.length ? `${current + 1} of ${matches.length}` : 'no match') : ''}
      </span>
      <button type="button" className="button small" disabled={matches.length < 2} onClick={() => step(-1)} aria-label="Previous match">↑</button>
      <button type="submit" className="button small" disabled={matches.length < 2} aria-label="Next match">↓</button>
    </form>
  );
}

// Escape closes; Alt+→ and Alt+← step through the sections.
function useViewerKeys(index: number, go: (to: number) => void, close: () => void) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close();
      else if (e.key === 'ArrowRight' && e.altKey) go(index + 1);
      else if (e.key === 'ArrowLeft' && e.altKey) go(index - 1);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [index, go, close]);
}

// ‹ Previous, the list of sections, Next ›, and (`children`) the choice of view where there is one.
function ViewerNav({ sections, index, go, children }: { sections: Section[]; index: number; go: (to: number) => void; children: ReactNode }) {
  // A book has hundreds of parts: their list is drawn once, not again at every scroll.
  const options = useMemo(() => sections.map((s, i) => <option key={i} value={i}>{sectionTitle(KIND_LABEL[s.kind], s.label)}</option>), [sections]);
  return (
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
      {children}
    </nav>
  );
}

// A PDF's page as text, or as printed (its original, fetched when first asked for).
function ViewMode({ asPrinted, onText, onPage }: { asPrinted: boolean; onText: () => void; onPage: () => void }) {
  return (
    <div className="segmented view-mode" role="radiogroup" aria-label="Show">
      <button type="button" role="radio" aria-checked={!asPrinted} className={asPrinted ? '' : 'on'} onClick={onText}>Text</button>
      <button type="button" role="radio" aria-checked={asPrinted} className={asPrinted ? 'on' : ''} onClick={onPage}>Page</button>
    </div>
  );
}

// The whole document's height, with only the blocks in view drawn at their place in it.
function ViewerText(props: {
  markdown: boolean;
  // Part of the text has not arrived yet.
  busy: boolean;
  scroller: RefObject<HTMLElement | null>;
  list: RefObject<HTMLDivElement | null>;
  blocks: VirtualBlocks;
  items: ViewerItem[];
  sections: Section[];
  marked: ReturnType<typeof highlighter>;
}) {
  const { blocks, sections, marked } = props;
  return (
    <article className={`viewer-text${props.markdown ? ' viewer-markdown' : ''}`} data-testid="viewer-text" aria-busy={props.busy} ref={props.scroller} onScroll={blocks.onScroll}>
      <div className="viewer-column" style={{ height: blocks.total }}>
        <div className="viewer-blocks" ref={props.list} style={{ top: blocks.offset }}>
          {props.items.slice(blocks.first, blocks.last).map((item, k) => (
            <div key={blocks.first + k} data-index={blocks.first + k} className="viewer-block">
              {item.kind === 'pending' ? (
                <div className="viewer-pending" style={{ height: blocks.height(blocks.first + k) }} />
              ) : item.kind === 'label' ? (
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
  );
}
