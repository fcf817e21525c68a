import { describe, expect, it } from 'vitest';
import { documentItems, itemAt } from '../../../renderer/src/features/viewer/document-blocks.ts';
import { documentSections, findAll, PLAIN_SECTION_CHARS, sectionTitle } from '../../../renderer/src/features/viewer/sections.ts';

describe('viewer sections', () => {
  it('reads subtitles a page of cues at a time, not one cue per screen', () => {
    const cues = Array.from({ length: 144 }, (_, i) => `${i}: So we went down to the harbour again.\n`);
    const text = cues.join('');
    let at = 0;
    const anchors = cues.map((c, i) => {
      const a = { kind: 'cue' as const, label: `00:${String(i).padStart(2, '0')}`, start: at, end: at + c.length };
      at += c.length;
      return a;
    });
    const sections = documentSections({ text, anchors });
    expect(sections.length).toBeLessThan(5);
    expect(sections[0].label).toBe('00:00');
    expect(sections.every((s) => s.end - s.start <= PLAIN_SECTION_CHARS)).toBe(true);
    expect(sections.at(-1)!.end).toBe(text.length);
  });

  it('does not say the kind twice', () => {
    expect(sectionTitle('Chapter', 'Chapter One')).toBe('Chapter One');
    expect(sectionTitle('Chapter', '3')).toBe('Chapter 3');
    expect(sectionTitle('Page', 'iv')).toBe('Page iv');
  });

  it('finds every match, case-insensitively', () => {
    expect(findAll('Whale, whale and WHALE; whaler.'.toLowerCase(), 'WHALE')).toEqual([0, 7, 17, 24]);
    expect(findAll('anything', '  ')).toEqual([]);
  });

  it('lists a whole document as blocks, a label only before a section that does not open with its name', () => {
    const text = 'CHAPTER ONE\n\nCall me Ishmael.\n\nSome years ago.\n\nPage text here.';
    const page = text.indexOf('Page text');
    const chapter = { text, format: 'txt', anchors: [{ kind: 'chapter' as const, label: 'CHAPTER ONE', start: 0, end: page }, { kind: 'chapter' as const, label: 'Two', start: page, end: text.length }] };
    const items = documentItems(chapter, documentSections(chapter));
    expect(items.map((i) => (i.kind === 'label' ? `label ${i.section}` : i.kind === 'text' && i.block.kind === 'paragraph' ? i.block.piece.text : i.kind))).toEqual(['CHAPTER ONE', 'Call me Ishmael.', 'Some years ago.', 'label 1', 'Page text here.']);
    // An offset inside a block is that block; a section's start is its label.
    expect(itemAt(items, text.indexOf('years'))).toBe(2);
    expect(itemAt(items, page)).toBe(3);
    expect(itemAt(items, 0)).toBe(0);
  });
});
