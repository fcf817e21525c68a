import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentModelSchema } from '../../../electron/common/document.ts';
import { makeEpub, makePdf } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'quire-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function quire(...args: string[]) {
  const r = spawnSync('node_modules/.bin/node', ['bin/quire.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('quire extract', () => {
  it('prints the document model as JSON with --json, C1 and bidi controls of the text included', () => {
    // U+0081 (EBCDIC and legacy Cyrillic decodes hold such), a C1 CSI and a bidi override: printed as JSON's
    // own escapes, which parse back to the same characters, never as the terminal's \xNN.
    const body = '<p>It was a dark night \u0081\u009b\u202e.</p>';
    const path = file('book.epub', makeEpub([{ file: 'a.xhtml', title: 'Opening', body }], { title: 'Night' }));
    const r = quire('extract', path, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u007f-\u009f\u202a-\u202e]/);
    const doc = DocumentModelSchema.parse(JSON.parse(r.stdout));
    expect(doc).toMatchObject({ format: 'epub', title: 'Night', text: 'It was a dark night \u0081\u009b\u202e.' });
    expect(doc.anchors).toEqual([{ kind: 'chapter', label: 'Opening', start: 0, end: 24 }]);
  });

  it('prints a readable summary without --json', () => {
    const path = file('report.pdf', makePdf([{ paragraphs: [['First page.']] }, { paragraphs: [['Second page.']] }], { title: 'Report', labels: [[0, 'D', 'A-']] }));
    const r = quire('extract', path);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('format    pdf');
    expect(r.stdout).toContain('title     Report');
    expect(r.stdout).toContain('2 pages');
    expect(r.stdout).toContain('A-1 … A-2');
    expect(r.stdout).toContain('First page. Second page.');
  });

  it('refuses bad files with exit 1 and exactly one stderr line "quire: CODE: reason"', () => {
    const random = new Uint8Array(5000).map((_, i) => (i * 7919 + 13) % 256);
    const cases: Array<[string, string]> = [
      [file('random.pdf', random), 'CORRUPT'],
      [file('scan.pdf', makePdf([{ image: true }])), 'SCANNED'],
      [file('locked.pdf', makePdf([{ paragraphs: [['x']] }], { userPassword: 'pw' })), 'ENCRYPTED'],
      [file('empty.txt', ''), 'EMPTY'],
      [file('blob.bin', random), 'UNSUPPORTED_FORMAT'],
      [join(dir, 'missing.epub'), 'NOT_FOUND'],
    ];
    for (const [path, code] of cases) {
      const r = quire('extract', path, '--json');
      expect(r.code, path).toBe(1);
      expect(r.stdout, path).toBe('');
      expect(r.stderr, path).toMatch(new RegExp(`^quire: ${code}: [^\\n]+\\n$`));
    }
  });

  it('answers usage errors with exit 2', () => {
    const r = quire('extract');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^quire: USAGE: [^\n]+\n$/);
  });
});
