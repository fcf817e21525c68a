import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonOutput, terminalSafe } from '../../../electron/cli/command.ts';
import { DocumentModelSchema } from '../../../electron/common/document.ts';
import { extractBytes } from '../../../electron/node/documents/extract.ts';
import { corpusFiles, type CorpusFile } from '../../corpus/corpus.ts';

// The regression corpus (test/corpus/corpus.json): real files from other projects' test suites, each read as
// the app reads it, against what the file is known to contain.
const text = (s: string) => s.replace(/\s+/g, ' ');

async function outcome(file: CorpusFile) {
  try {
    return { doc: DocumentModelSchema.parse(await extractBytes(file.name, readFileSync(file.file))) };
  } catch (error) {
    return { error: error as { code?: string; message?: string } };
  }
}

describe('regression corpus', () => {
  const files = corpusFiles();

  it('holds every kind of file the issue names, each with an expectation', () => {
    const formats = new Set(files.map((f) => f.expect.format ?? f.expect.refusal));
    for (const kind of ['pdf', 'epub', 'docx', 'srt', 'vtt', 'txt', 'CORRUPT', 'EMPTY', 'ENCRYPTED']) expect(formats).toContain(kind);
    for (const f of files) expect(f.expect.contains?.length || f.expect.sameText || f.expect.refusal, f.name).toBeTruthy();
  });

  for (const file of files) {
    const { expect: want } = file;
    it(`${file.source}: ${want.refusal ? `refused as ${want.refusal}` : `reads ${want.format}`}`, async () => {
      const { doc, error } = await outcome(file);
      if (want.refusal) {
        expect(doc, 'should be refused').toBeUndefined();
        expect(error?.code).toBe(want.refusal);
        // One clean line, never a stack trace.
        expect(error?.message).not.toMatch(/\n|    at /);
        return;
      }
      if (!doc) throw new Error(`refused: ${error?.code} ${error?.message}`);
      // What `quire extract --json` prints (its JSON through the terminal's escaping) parses to the same model.
      expect(JSON.parse(terminalSafe(jsonOutput(doc, 2)))).toEqual(doc);
      expect(doc.format).toBe(want.format);
      const body = text(doc.text);
      for (const phrase of want.contains ?? []) expect(body, `text holds ${JSON.stringify(phrase)}`).toContain(text(phrase));
      for (const phrase of want.absent ?? []) expect(body).not.toContain(phrase);
      if (want.sameText !== undefined) expect(body.trim()).toBe(text(want.sameText.normalize('NFC')).trim());
      const labels = (kind: string) => doc.anchors.filter((a) => a.kind === kind).map((a) => a.label);
      if (want.pages !== undefined) expect(labels('page')).toHaveLength(want.pages);
      if (want.pageLabels) expect(labels('page')).toEqual(want.pageLabels);
      if (want.cues) expect(labels('cue').slice(0, want.cues.length)).toEqual(want.cues);
      if (want.chapters) {
        const chapters = labels('chapter');
        expect(want.chapters.filter((c) => chapters.includes(c))).toEqual(want.chapters);
        expect(want.chapters.map((c) => chapters.indexOf(c))).toEqual([...want.chapters.map((c) => chapters.indexOf(c))].sort((a, b) => a - b));
      }
      if (want.comments !== undefined) expect(labels('comment')).toHaveLength(want.comments);
      if (want.noWarnings) expect(doc.warnings).toEqual([]);
      for (const warning of want.warnings ?? []) expect(doc.warnings.some((w) => w.includes(warning)), `a warning holds "${warning}"`).toBe(true);
    });
  }
});
