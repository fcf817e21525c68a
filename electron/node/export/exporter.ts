import type { Conversation, ExportedFile, ExportFormat } from '../../common/contract.ts';
import { QuireError } from '../../common/errors.ts';
import { buildExportModel, safeFileName, type ExportModel } from './export-model.ts';
import { toDocx, toHtml, toJson, toMarkdown } from './formats.ts';
import type { PdfPrinter } from './pdf-printer.ts';

const MIME: Record<ExportFormat, string> = {
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  json: 'application/json',
};

export async function exportConversation(
  conversation: Conversation,
  documents: ExportModel['documents'],
  format: ExportFormat,
  printPdf: PdfPrinter,
  messageId?: string,
): Promise<ExportedFile> {
  const model = buildExportModel(conversation, documents, messageId);
  if (model.exchanges.length === 0) throw new QuireError('NOT_FOUND', messageId ? `no answer with id ${messageId} in this conversation` : 'this conversation has no answers to export yet');
  const encode = (text: string) => new TextEncoder().encode(text);
  const bytes =
    format === 'md' ? encode(toMarkdown(model))
    : format === 'html' ? encode(toHtml(model))
    : format === 'json' ? encode(toJson(model))
    : format === 'docx' ? await toDocx(model)
    : await printPdf(toHtml(model));
  return { fileName: `${safeFileName(model.title)}.${format}`, mime: MIME[format], bytes };
}
