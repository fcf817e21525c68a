// The viewer opens a book from its outline and its text in ranges (issue 21 point 7): through the app's router,
// a range is the stored text's own slice in JavaScript offsets (a character outside the BMP counts two, as
// anchors and quotes count it), may run past the end, and anything else is refused with a stable code before
// the text is read.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEXT_RANGE_LIMIT } from '../../../electron/common/contract.ts';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { callRouter } from '../router-call.ts';

// Chapters (anchors), and a character outside the BMP early on, so UTF-16 and code-point offsets differ after it.
const text = Array.from({ length: 3000 }, (_, i) => `${i % 100 === 0 ? `CHAPTER ${i / 100 + 1}\n\n` : ''}Paragraph ${i} 🐋 of the logbook, as every night before it.`).join('\n\n');

let services: AppServices;
let id: string;

beforeAll(async () => {
  services = createAppServices({ mode: 'cli', root: mkdtempSync(join(tmpdir(), 'quire-text-range-')) });
  ({ id } = await callRouter(services, 'library.import', { name: 'logbook.txt', bytes: new TextEncoder().encode(text) }));
});

afterAll(async () => {
  await services?.close();
});

describe('library.outline and library.text', () => {
  it('give the document without its text, and any range of the text as the whole text slices it', async () => {
    const whole = await callRouter(services, 'library.get', { id });
    const { text: stored, ...rest } = whole;
    expect(await callRouter(services, 'library.outline', { id })).toEqual(rest);
    expect(rest.anchors.length).toBeGreaterThan(0);
    for (const [start, end] of [[0, 0], [0, 100], [15, 16], [1234, 56_789], [stored.length - 10, stored.length]]) {
      expect((await callRouter(services, 'library.text', { id, start, end })).text).toBe(stored.slice(start, end));
    }
    // Pieces put together are the text, surrogate pairs cut between them included.
    const cut = stored.indexOf('🐋') + 1;
    const pieces = await Promise.all([[0, cut], [cut, stored.length]].map(([start, end]) => callRouter(services, 'library.text', { id, start, end })));
    expect(pieces.map((p) => p.text).join('')).toBe(stored);
    // A range running past the end ends there.
    expect((await callRouter(services, 'library.text', { id, start: stored.length - 5, end: stored.length + 1000 })).text).toBe(stored.slice(-5));
    expect((await callRouter(services, 'library.text', { id, start: stored.length, end: stored.length + 1 })).text).toBe('');
  });

  it('refuses a range that is not one, too long, or past the end, and an unknown document', async () => {
    const refusal = (payload: unknown) => callRouter(services, 'library.text', payload as never).then(() => null, (error: Error & { code: string }) => `${error.code}: ${error.message}`);
    for (const payload of [
      { id, start: 10, end: 5 },
      { id, start: -1, end: 5 },
      { id, start: 0.5, end: 5 },
      { id, start: 0, end: TEXT_RANGE_LIMIT + 1 },
      { id, start: '0', end: 5 },
      { id, start: 0 },
      { id, start: 0, end: 5, extra: true },
    ]) {
      expect(await refusal(payload)).toMatch(/^INVALID_INPUT: /);
    }
    expect(await refusal({ id, start: text.length + 1, end: text.length + 2 })).toBe(`INVALID_INPUT: character ${text.length + 1} is past the document's end (${text.length} characters)`);
    expect(await refusal({ id: 'nope', start: 0, end: 1 })).toBe('NOT_FOUND: no document with id nope');
    expect(await callRouter(services, 'library.outline', { id: 'nope' }).catch((error: Error & { code: string }) => error.code)).toBe('NOT_FOUND');
  });
});
