// What an exported file says about itself: a PDF names Quire (not the browser that printed it), and an answer
// exported alone is not saved over its conversation's export.
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, Conversation } from '../../../electron/common/contract.ts';
import { exportConversation } from '../../../electron/node/export/exporter.ts';
import { chromiumPdfPrinter, findChromium } from '../../../electron/node/export/pdf-printer.ts';
import { PRODUCT_VERSION } from '../../../electron/node/version.ts';
import { DEFAULT_SETTINGS, samplingFor } from '../../../electron/node/settings.ts';
import { generationDefaults } from '../../../models/model-spec.ts';

const message = (id: string, role: ChatMessage['role'], content: string): ChatMessage => ({ id, role, content, quotes: [], stats: null, createdAt: new Date(0).toISOString() });
const conversation: Conversation = {
  id: 'c1',
  title: 'Lighthouse — questions',
  documentIds: ['d1'],
  modelId: 'tiny',
  createdAt: new Date(0).toISOString(),
  updatedAt: new Date(0).toISOString(),
  messages: [message('q1', 'user', 'Who keeps it?'), message('a1', 'assistant', 'Ada Morrow.'), message('q2', 'user', 'Since when?'), message('a2', 'assistant', 'Since 1998.')],
};
const documents = [{ id: 'd1', title: 'Lighthouse annual report', format: 'pdf', chars: 1000, pages: 2, tokens: 250 }];
const sampling = samplingFor(DEFAULT_SETTINGS, { generation: generationDefaults(null) }, conversation);
const unusedPrinter = async (): Promise<Uint8Array<ArrayBuffer>> => {
  throw new Error('no PDF here');
};

describe('export file names', () => {
  it('an answer is named for its place in the conversation, apart from the whole conversation', async () => {
    const whole = await exportConversation(conversation, documents, sampling, 'md', unusedPrinter);
    const second = await exportConversation(conversation, documents, sampling, 'md', unusedPrinter, 'a2');
    const first = await exportConversation(conversation, documents, sampling, 'md', unusedPrinter, 'a1');
    expect(whole.fileName).toBe('Lighthouse-questions.md');
    expect(second.fileName).toBe('Lighthouse-questions-answer-2.md');
    expect(first.fileName).toBe('Lighthouse-questions-answer-1.md');
  });
});

describe.skipIf(!findChromium())('a printed PDF', () => {
  it('names Quire and its version as its creator, keeps its title, and still opens with its text', async () => {
    const file = await exportConversation(conversation, documents, sampling, 'pdf', chromiumPdfPrinter());
    const pdf = await getDocument({ data: file.bytes.slice(), useSystemFonts: false }).promise;
    const { info } = (await pdf.getMetadata()) as { info: Record<string, string> };
    expect(info.Creator).toBe(`Quire ${PRODUCT_VERSION}`);
    expect(info.Producer).toMatch(/^Quire /);
    expect(info.Title).toBe('Lighthouse — questions');
    const page = await pdf.getPage(1);
    const text = (await page.getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join(' ');
    expect(text).toContain('Since 1998.');
  }, 60_000);
});
