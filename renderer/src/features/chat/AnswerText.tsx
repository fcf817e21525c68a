import type { ReactElement } from 'react';
import type { ChatMessage, QuoteCheck } from '../../../../electron/common/contract.ts';
import { useApp } from '../../store/context.tsx';

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
      const highlight = { start: check.start, end: check.end };
      const documentId = check.documentId;
      parts.push(
        <span key={key++} className="quote verified">
          {check.quote}
          <button type="button" className="cite" title="Open the document at this quote" onClick={() => void open(documentId, highlight)}>
            {citationLabel(check)}
          </button>
        </span>,
      );
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
