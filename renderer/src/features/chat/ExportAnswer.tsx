import { useEffect, useRef, useState } from 'react';
import { EXPORT_FORMATS } from '../../../../electron/common/contract.ts';
import { useApp } from '../../store/context.tsx';
import { EXPORT_LABELS, exportingText } from './export-labels.ts';

// One answer (with its question) in any export format: "Export answer" opens the formats in place, a format
// downloads the file and closes them, Escape closes them.
export function ExportAnswer({ messageId, disabled }: { messageId: string; disabled: boolean }) {
  const exportConversation = useApp((s) => s.exportConversation);
  const exporting = useApp((s) => s.exporting);
  const [open, setOpen] = useState(false);
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (open) first.current?.focus();
  }, [open]);
  if (exporting?.messageId === messageId) return <span className="subtle exporting" role="status">{exportingText(exporting.format)}</span>;
  if (!open) {
    return (
      <button type="button" className="link-button" disabled={disabled || exporting !== null} onClick={() => setOpen(true)}>
        Export answer
      </button>
    );
  }
  return (
    <span className="export-answer" role="group" aria-label="Export answer as" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <span aria-hidden="true">Export as</span>
      {EXPORT_FORMATS.map((format, i) => (
        <button
          key={format}
          ref={i === 0 ? first : undefined}
          type="button"
          className="link-button"
          onClick={() => {
            setOpen(false);
            void exportConversation(format, messageId);
          }}
        >
          {EXPORT_LABELS[format]}
        </button>
      ))}
      <button type="button" className="link-button" onClick={() => setOpen(false)}>Cancel</button>
    </span>
  );
}
