// One answer exported alone, in every format: its question and answer and its citations, nothing of the
// conversation's other turns.
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { EXPORT_FORMATS, type ChatMessage, type Conversation } from '../../../electron/common/contract.ts';
import { exportConversation } from '../../../electron/node/export/exporter.ts';

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

const text = async (format: (typeof EXPORT_FORMATS)[number]) => {
  const file = await exportConversation(conversation, documents, format, printer, 'a2');
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
    await expect(exportConversation(conversation, documents, 'md', printer, 'q2')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
