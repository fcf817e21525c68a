import type { ReactNode } from 'react';
import { blockInlines, type Block, type Inline, type Line } from './markdown-blocks.ts';
import type { Piece } from './text-blocks.ts';

// One block of a Markdown document rendered as React elements (never as HTML), its text drawn by `marked` (the
// viewer's highlighter), so a quote or a find match is marked wherever it falls.
export function MarkdownBlockView({ block, marked }: { block: Block; marked: (p: Piece) => ReactNode }) {
  const inline = (lines: Line[]) => spans(blockInlines(lines), marked);
  switch (block.kind) {
    case 'heading': {
      const Tag = `h${Math.min(6, block.level + 2)}` as 'h3';
      return <Tag className={`md-h${block.level}`}>{inline(block.lines)}</Tag>;
    }
    case 'paragraph':
      return <p>{inline(block.lines)}</p>;
    case 'quote':
      return <blockquote>{inline(block.lines)}</blockquote>;
    case 'list': {
      const Tag = block.ordered ? 'ol' : 'ul';
      return <Tag>{block.items.map((item, j) => <li key={j}>{inline([item])}</li>)}</Tag>;
    }
    case 'code':
      return <pre><code>{marked(block)}</code></pre>;
    case 'rule':
      return <hr />;
  }
}

function spans(nodes: Inline[], marked: (p: Piece) => ReactNode): ReactNode[] {
  return nodes.map((n, i) => {
    if (n.kind === 'text') return <span key={i}>{marked(n)}</span>;
    if (n.kind === 'code') return <code key={i}>{spans(n.children, marked)}</code>;
    if (n.kind === 'strong') return <strong key={i}>{spans(n.children, marked)}</strong>;
    if (n.kind === 'em') return <em key={i}>{spans(n.children, marked)}</em>;
    // A link is shown as its text, its address one hover away: the viewer opens nothing.
    return <span key={i} className="md-link" title={n.href}>{spans(n.children, marked)}</span>;
  });
}
