import type { ReactNode } from 'react';
import type { Piece, TextBlock } from './text-blocks.ts';

// One block of a document that is not Markdown, drawn by its structure (text-blocks.ts): a cue with its time, a
// heading, a table or a paragraph, its pieces drawn by `marked` (the viewer's highlighter).
export function TextBlockView({ block, marked }: { block: TextBlock; marked: (p: Piece) => ReactNode }) {
  switch (block.kind) {
    case 'cue':
      return (
        <p className="viewer-cue">
          <span className="cue-time">{block.time}</span>
          {marked(block.piece)}
        </p>
      );
    case 'heading':
      return <h3 className="viewer-heading">{marked(block.piece)}</h3>;
    case 'table':
      return (
        <table className="viewer-table">
          <tbody>
            {block.rows.map((row, r) => (
              <tr key={r}>{row.map((cell, c) => <td key={c}>{marked(cell)}</td>)}</tr>
            ))}
          </tbody>
        </table>
      );
    case 'paragraph':
      return <p className="viewer-paragraph">{marked(block.piece)}</p>;
  }
}
