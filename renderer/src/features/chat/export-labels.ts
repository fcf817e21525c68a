import type { ExportFormat } from '../../../../electron/common/contract.ts';

export const EXPORT_LABELS: Record<ExportFormat, string> = { md: 'Markdown', html: 'HTML', pdf: 'PDF', docx: 'Word', json: 'JSON' };

// While an export is written (a PDF takes several seconds), in place of its buttons.
export const exportingText = (format: ExportFormat) => `Writing the ${EXPORT_LABELS[format]} file…`;
