import { useMemo, type ReactNode, type RefObject } from 'react';
import { highlighter, type Range } from './highlighter.tsx';
import { markdownBlocks, type Inline } from './markdown-blocks.ts';

// A Markdown section rendered as React elements (never as HTML), with the highlighted range marked wherever it
// falls; `start` is the section's offset in the document, `highlight` in document offsets.
export function MarkdownText({ text, start, highlight, markRef }: { text: string; start: number; highlight: Range | null; markRef: RefObject<HTMLElement | null> }) {
  const blocks = useMemo(() => markdownBlocks(text, start), [text, start]);
  const piece = highlighter(highlight, markRef);
  const inline = (nodes: Inline[]): ReactNode[] =>
    nodes.map((n, i) => {
      if (n.kind === 'text') return <span key={i}>{piece(n)}</span>;
      if (n.kind === 'code') return <code key={i}>{inline(n.children)}</code>;
      if (n.kind === 'strong') return <strong key={i}>{inline(n.children)}</strong>;
      if (n.kind === 'em') return <em key={i}>{inline(n.children)}</em>;
      // A link is shown as its text, its address one hover away: the viewer opens nothing.
      return <span key={i} className="md-link" title={n.href}>{inline(n.children)}</span>;
    });
  return (
    <div className="markdown">
      {blocks.map((b, i) => {
        switch (b.kind) {
          case 'heading': {
            const Tag = `h${Math.min(6, b.level + 2)}` as 'h3';
            return <Tag key={i} className={`md-h${b.level}`}>{inline(b.inline)}</Tag>;
          }
          case 'paragraph':
            return <p key={i}>{inline(b.inline)}</p>;
          case 'quote':
            return <blockquote key={i}>{inline(b.inline)}</blockquote>;
          case 'list': {
            const Tag = b.ordered ? 'ol' : 'ul';
            return <Tag key={i}>{b.items.map((item, j) => <li key={j}>{inline(item)}</li>)}</Tag>;
          }
          case 'code':
            return <pre key={i}><code>{piece(b)}</code></pre>;
          case 'rule':
            return <hr key={i} />;
        }
      })}
    </div>
  );
}
