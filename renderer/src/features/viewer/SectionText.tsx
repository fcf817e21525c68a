import { useMemo, type RefObject } from 'react';
import type { Anchor } from '../../../../electron/common/document.ts';
import { highlighter, type Range } from './highlighter.tsx';
import { textBlocks } from './text-blocks.ts';

// One section of a document that is not Markdown, drawn by its structure (text-blocks.ts): cues with their
// times, headings, tables and paragraphs, with the highlighted range (document offsets) marked.
export function SectionText({ doc, section, highlight, markRef }: { doc: { text: string; anchors: Anchor[]; format: string }; section: Range; highlight: Range | null; markRef: RefObject<HTMLElement | null> }) {
  const blocks = useMemo(() => textBlocks(doc, section), [doc, section.start, section.end]);
  const marked = highlighter(highlight, markRef);
  return (
    <>
      {blocks.map((block, i) => {
        switch (block.kind) {
          case 'cue':
            return (
              <p key={i} className="viewer-cue">
                <span className="cue-time">{block.time}</span>
                {marked(block.piece)}
              </p>
            );
          case 'heading':
            return <h3 key={i} className="viewer-heading">{marked(block.piece)}</h3>;
          case 'table':
            return (
              <table key={i} className="viewer-table">
                <tbody>
                  {block.rows.map((row, r) => (
                    <tr key={r}>{row.map((cell, c) => <td key={c}>{marked(cell)}</td>)}</tr>
                  ))}
                </tbody>
              </table>
            );
          case 'paragraph':
            return <p key={i} className="viewer-paragraph">{marked(block.piece)}</p>;
        }
      })}
    </>
  );
}
