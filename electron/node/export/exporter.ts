import type { Conversation, ExportedFile, ExportFormat } from '../../common/contract.ts';
import { QuireError } from '../../common/errors.ts';
import { buildExportModel, safeFileName, type ExportModel } from './export-model.ts';
import { toDocx, toHtml, toJson, toMarkdown } from './formats.ts';
import { PRODUCT_VERSION } from '../version.ts';
import { withPdfInfo } from './pdf-info.ts';
import type { PdfPrinter } from './pdf-printer.ts';
import type { AnswerSampling } from '../settings.ts';

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
  sampling: AnswerSampling,
  format: ExportFormat,
  printPdf: PdfPrinter,
  messageId?: string,
): Promise<ExportedFile> {
  const model = buildExportModel(conversation, documents, sampling, messageId);
  if (model.exchanges.length === 0) throw new QuireError('NOT_FOUND', messageId ? `no answer with id ${messageId} in this conversation` : 'this conversation has no answers to export yet');
  const encode = (text: string) => new TextEncoder().encode(text);
  const bytes =
    format === 'md' ? encode(toMarkdown(model))
    : format === 'html' ? encode(toHtml(model))
    : format === 'json' ? encode(toJson(model))
    : format === 'docx' ? await toDocx(model)
    : withPdfInfo(await printPdf(toHtml(model)), { title: model.title, creator: `Quire ${PRODUCT_VERSION}`, producer: `Quire ${PRODUCT_VERSION} (printed by Chromium)` });
  return { fileName: `${exportFileName(conversation, model.title, messageId)}.${format}`, mime: MIME[format], bytes };
}

// One answer is not saved over its conversation's export: it is named for its place in the conversation.
function exportFileName(conversation: Conversation, title: string, messageId: string | undefined): string {
  if (!messageId) return safeFileName(title);
  const answers = conversation.messages.filter((m) => m.role === 'assistant');
  return `${safeFileName(title)}-answer-${answers.findIndex((m) => m.id === messageId) + 1}`;
}
