// One answer exported alone, in every format: its question and answer and its citations, nothing of the
// conversation's other turns; and every format states the instructions and sampling the conversation is asked with.
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { EXPORT_FORMATS, type ChatMessage, type Conversation } from '../../../electron/common/contract.ts';
import { exportConversation } from '../../../electron/node/export/exporter.ts';
import { DEFAULT_SETTINGS, samplingFor } from '../../../electron/node/settings.ts';
import { generationDefaults } from '../../../models/model-spec.ts';

const message = (id: string, role: ChatMessage['role'], content: string, quotes: ChatMessage['quotes'] = []): ChatMessage => ({
  id,
  role,
  content,
  quotes,
  stats: null,
  createdAt: new Date(0).toISOString(),
});

const conversation: Conversation = {
  id: 'c1',
  title: 'Lighthouse questions',
  documentIds: ['d1'],
  modelId: 'tiny',
  createdAt: new Date(0).toISOString(),
  updatedAt: new Date(0).toISOString(),
  messages: [
    message('q1', 'user', 'Who keeps the lighthouse?'),
    message('a1', 'assistant', 'Ada Morrow keeps it.'),
    message('q2', 'user', 'When was the lamp replaced?'),
    message('a2', 'assistant', 'In March 1998, as the log says.', [
      { quote: 'The lamp was replaced in March 1998.', verified: true, start: 10, end: 46, anchor: { kind: 'page', label: '2', start: 0, end: 100 }, documentId: 'd1' },
    ]),
  ],
};
const documents = [{ id: 'd1', title: 'Lighthouse annual report', format: 'pdf', chars: 1000, pages: 2, tokens: 250 }];

// The PDF is the HTML export printed; what is printed is what the test reads.
let printed = '';
const printer = async (html: string) => {
  printed = html;
  return new Uint8Array(new TextEncoder().encode(`%PDF-1.7 ${html.length}`));
};

const sampling = (c: Conversation) => samplingFor(DEFAULT_SETTINGS, { generation: generationDefaults(null) }, c);

const text = async (format: (typeof EXPORT_FORMATS)[number], exported = conversation) => {
  const file = await exportConversation(exported, documents, sampling(exported), format, printer, 'a2');
  expect(file.fileName.endsWith(`.${format}`)).toBe(true);
  if (format === 'docx') return strFromU8(unzipSync(file.bytes)['word/document.xml']);
  if (format === 'pdf') {
    expect(new TextDecoder().decode(file.bytes.subarray(0, 5))).toBe('%PDF-');
    return printed;
  }
  return new TextDecoder().decode(file.bytes);
};

describe('exporting one answer', () => {
  for (const format of EXPORT_FORMATS) {
    it(`in ${format}: that answer, its question and its citation, not the other turns`, async () => {
      const body = await text(format);
      expect(body).toContain('When was the lamp replaced?');
      expect(body).toContain('In March 1998, as the log says.');
      expect(body).toContain('The lamp was replaced in March 1998.');
      expect(body).not.toContain('Who keeps the lighthouse?');
      expect(body).not.toContain('Ada Morrow');
    });
  }

  it('names an answer that is not in the conversation', async () => {
    await expect(exportConversation(conversation, documents, sampling(conversation), 'md', printer, 'q2')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('every export states the instructions and sampling', () => {
  const own: Conversation = { ...conversation, style: { instructions: 'Answer in French.', temperature: 0.3, topP: 0.8, seed: 9, answerTokens: 300 } };
  for (const format of EXPORT_FORMATS) {
    it(`in ${format}: the conversation's own, or the app's where it has none`, async () => {
      const body = await text(format, own);
      if (format === 'json') {
        expect(JSON.parse(body).settings).toEqual({ instructions: 'Answer in French.', greedy: false, temperature: 0.3, topP: 0.8, seed: 9, maxTokens: 300, source: 'conversation' });
        expect(JSON.parse(await text(format)).settings).toMatchObject({ instructions: '', greedy: true, seed: null, maxTokens: 1024, source: 'app' });
        return;
      }
      for (const words of ['Instructions and sampling', 'Instructions: Answer in French.', 'temperature 0.3, top-p 0.8', 'seed 9', 'Longest answer: 300 tokens', 'own settings']) expect(body).toContain(words);
      const app = await text(format);
      for (const words of ['greedy', 'a new seed for each answer', 'Longest answer: 1,024 tokens', 'Settings → How answers are written']) expect(app).toContain(words);
      expect(body).not.toContain('Asked with other settings');
    });

    it(`in ${format}: an answer asked before the settings were changed says what it was asked with`, async () => {
      const stats = { promptTokens: 10, prefilledTokens: 10, generatedTokens: 5, documentSource: 'prefill' as const, secondsToFirstToken: 1, tokensPerSecond: 5, stopped: false };
      const earlier = { instructions: 'Be brief.', greedy: false, temperature: 0.7, topP: 1, seed: null, maxTokens: 512 };
      const asked: Conversation = { ...own, messages: own.messages.map((m) => (m.id === 'a2' ? { ...m, stats: { ...stats, settings: earlier } } : m)) };
      const body = await text(format, asked);
      if (format === 'json') {
        expect(JSON.parse(body).exchanges[0].settings).toEqual(earlier);
        return;
      }
      expect(body).toContain('Asked with other settings — Instructions: Be brief. · Sampling: temperature 0.7, top-p 1; a new seed for each answer · Longest answer: 512 tokens');
      const same = { ...own, messages: own.messages.map((m) => (m.id === 'a2' ? { ...m, stats: { ...stats, settings: { ...sampling(own), seed: 9 } } } : m)) };
      expect(await text(format, same)).not.toContain('Asked with other settings');
    });
  }
});
