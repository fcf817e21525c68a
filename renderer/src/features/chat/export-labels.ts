import type { ExportFormat } from '../../../../electron/common/contract.ts';

export const EXPORT_LABELS: Record<ExportFormat, string> = { md: 'Markdown', html: 'HTML', pdf: 'PDF', docx: 'Word', json: 'JSON' };
