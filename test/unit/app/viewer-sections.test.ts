import { describe, expect, it } from 'vitest';
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
});
