import type { AnswerSettings, ChatMessage, Conversation, DocumentSummary, QuoteCheck } from '../../common/contract.ts';
import { recordedSettings, type AnswerSampling } from '../settings.ts';

// What every export format renders: the questions, the answers, their citations and the documents' metadata,
// gathered once so the five formats cannot disagree.
export interface ExportCitation {
  quote: string;
  verified: boolean;
  document: string | null;
  location: string | null;
}

export interface ExportExchange {
  question: string;
  answer: string;
  stopped: boolean;
  citations: ExportCitation[];
  // What this answer was asked with (null for answers stored before that was recorded).
  settings: AnswerSettings | null;
}

export interface ExportModel {
  title: string;
  exportedAt: string;
  model: string | null;
  documents: Pick<DocumentSummary, 'id' | 'title' | 'format' | 'chars' | 'pages' | 'tokens'>[];
  // What the conversation's questions are asked with now, and whether these are its own settings or the app's.
  settings: AnswerSettings & { source: 'conversation' | 'app' };
  exchanges: ExportExchange[];
}

// A comment anchor's label already says what it is ("Comment by X").
const LOCATION_NAMES = { page: 'page', chapter: 'chapter', heading: 'section', cue: 'at', comment: '' } as const;

export function citationLocation(check: QuoteCheck): string | null {
  if (!check.anchor) return null;
  return `${LOCATION_NAMES[check.anchor.kind]} ${check.anchor.label}`.trim();
}

// One exchange per answered question; with `messageId`, only the answer with that id (and its question).
export function buildExportModel(conversation: Conversation, documents: ExportModel['documents'], sampling: AnswerSampling, messageId?: string, now = new Date()): ExportModel {
  const exchanges: ExportExchange[] = [];
  let question: ChatMessage | null = null;
  for (const message of conversation.messages) {
    if (message.role === 'user') {
      question = message;
      continue;
    }
    if (!question || (messageId && message.id !== messageId)) continue;
    exchanges.push({
      question: question.content,
      answer: message.content,
      stopped: message.stats?.stopped ?? false,
      settings: message.stats?.settings ?? null,
      citations: message.quotes.map((q) => ({
        quote: q.quote,
        verified: q.verified,
        document: documents.find((d) => d.id === q.documentId)?.title ?? null,
        location: citationLocation(q),
      })),
    });
  }
  return {
    title: conversation.title || 'Conversation',
    exportedAt: now.toISOString(),
    // A remote engine's model is named with the server the documents were sent to.
    model: conversation.engine ? `${conversation.engine.model} on ${conversation.engine.host}` : conversation.modelId,
    documents,
    settings: { ...recordedSettings(sampling), source: conversation.style ? 'conversation' : 'app' },
    exchanges,
  };
}

// The instructions and sampling in words, one line each, for the formats people read.
export function settingsLines({ settings: s }: ExportModel): string[] {
  return [
    ...answerSettingsLines(s),
    s.source === 'conversation' ? "These are the conversation's own settings." : "These are the app's settings (Settings → How answers are written); the conversation has none of its own.",
  ];
}

function answerSettingsLines(s: AnswerSettings): string[] {
  return [
    `Instructions: ${s.instructions || "none beyond Quire's own (answer from the documents, quoting them)"}`,
    `Sampling: ${s.greedy ? 'greedy (temperature 0: the likeliest word each time)' : `temperature ${s.temperature}, top-p ${s.topP}`}; ${s.seed === null ? 'a new seed for each answer' : `seed ${s.seed}`}`,
    `Longest answer: ${s.maxTokens.toLocaleString('en')} tokens`,
  ];
}

// An answer asked with other settings than the conversation's now (they were changed after it) says which.
export function askedWithLine(model: ExportModel, x: ExportExchange): string | null {
  if (!x.settings) return null;
  const asked = answerSettingsLines(x.settings).join(' · ');
  return asked === answerSettingsLines(model.settings).join(' · ') ? null : `Asked with other settings — ${asked}`;
}

export function citationLine(c: ExportCitation): string {
  return c.verified ? `“${c.quote}” — ${[c.document, c.location].filter(Boolean).join(', ')} (verified)` : `“${c.quote}” — not found in the documents (unverified)`;
}

export function safeFileName(title: string): string {
  return (title.replace(/[^\p{L}\p{N} _.-]+/gu, ' ').replace(/\s+/g, ' ').trim().slice(0, 60) || 'quire-export').replace(/ /g, '-');
}
