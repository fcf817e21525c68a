import { useId, useState, type ReactElement } from 'react';
import type { ChatMessage, QuoteCheck } from '../../../../electron/common/contract.ts';
import { useApp } from '../../store/context.tsx';
import { passageKey } from '../../store/passage-slice.ts';

// A comment anchor's label already says what it is ("Comment by X").
const LOCATION = { page: 'p.', chapter: 'ch.', heading: '§', cue: '', comment: '' } as const;

export function citationLabel(check: QuoteCheck): string {
  if (!check.anchor) return 'source';
  return `${LOCATION[check.anchor.kind]} ${check.anchor.label}`.trim();
}

// The answer as paragraphs, with each quote the backend checked turned into a link to its place in the
// document (verified) or visibly marked as not found (unverified).
export function AnswerText({ message }: { message: Pick<ChatMessage, 'content' | 'quotes'> }) {
  const openViewer = useApp((s) => s.openViewer);
  return (
    <div className="answer-text">
      {message.content.split(/\n{2,}/).map((paragraph, i) => (
        <p key={i}>{withQuotes(paragraph, message.quotes, openViewer)}</p>
      ))}
    </div>
  );
}

function withQuotes(text: string, quotes: QuoteCheck[], open: (id: string, h?: { start: number; end: number }) => Promise<void>) {
  const parts: (string | ReactElement)[] = [];
  let rest = text;
  let key = 0;
  while (rest.length > 0) {
    let best: { at: number; check: QuoteCheck } | null = null;
    for (const check of quotes) {
      const at = rest.indexOf(check.quote);
      if (at >= 0 && (!best || at < best.at)) best = { at, check };
    }
    if (!best) {
      parts.push(rest);
      break;
    }
    const { at, check } = best;
    parts.push(rest.slice(0, at));
    if (check.verified && check.documentId !== null && check.start !== null && check.end !== null) {
      parts.push(<VerifiedQuote key={key++} check={check} documentId={check.documentId} highlight={{ start: check.start, end: check.end }} open={open} />);
    } else {
      parts.push(
        <span key={key++} className="quote unverified" title="This quote was not found in the documents">
          {check.quote}
          <span className="cite unverified-badge">unverified</span>
        </span>,
      );
    }
    rest = rest.slice(at + check.quote.length);
  }
  return parts;
}

// A verified quote opens its passage in the viewer whether its text or its place is clicked (the place is the
// keyboard's way in), and hovering or focusing it previews the passage around it.
function VerifiedQuote({ check, documentId, highlight, open }: { check: QuoteCheck; documentId: string; highlight: { start: number; end: number }; open: (id: string, h: { start: number; end: number }) => Promise<void> }) {
  const loadPassage = useApp((s) => s.loadPassage);
  const passage = useApp((s) => s.passages[passageKey(documentId, highlight.start, highlight.end)]);
  const [shown, setShown] = useState(false);
  const previewId = useId();
  const show = () => {
    setShown(true);
    void loadPassage(documentId, highlight.start, highlight.end);
  };
  const hide = () => setShown(false);
  return (
    <span className="quote verified" onClick={() => void open(documentId, highlight)} onMouseEnter={show} onMouseLeave={hide}>
      {check.quote}
      <button
        type="button"
        className="cite"
        title="Open the document at this quote"
        aria-describedby={shown && passage ? previewId : undefined}
        onFocus={show}
        onBlur={hide}
        onClick={(e) => {
          e.stopPropagation();
          void open(documentId, highlight);
        }}
      >
        {citationLabel(check)}
      </button>
      {shown && passage ? (
        <span role="tooltip" id={previewId} className="quote-preview">
          {passage.before}
          <mark>{passage.quote}</mark>
          {passage.after}
        </span>
      ) : null}
    </span>
  );
}
