// `quire extract`. The printing and each refusal run the CLI in this process (its output captured), so a test
// costs one parse, not a Node start; one refusal runs as a real process, for what only a process shows: the
// exit status and exactly one line on stderr.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentModelSchema } from '../../../electron/common/document.ts';
import { runCli } from '../run-cli.ts';
import { makeEpub, makePdf } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'quire-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const random = new Uint8Array(5000).map((_, i) => (i * 7919 + 13) % 256);
const ONE_LINE_REFUSAL = (code: string) => new RegExp(`^quire: ${code}: [^\\n]+\\n$`);

describe('quire extract', () => {
  it('prints the document model as JSON with --json, C1 and bidi controls of the text included', async () => {
    // U+0081 (EBCDIC and legacy Cyrillic decodes hold such), a C1 CSI and a bidi override: printed as JSON's
    // own escapes, which parse back to the same characters, never as the terminal's \xNN.
    const body = '<p>It was a dark night \u0081\u009b\u202e.</p>';
    const path = file('book.epub', makeEpub([{ file: 'a.xhtml', title: 'Opening', body }], { title: 'Night' }));
    const r = await runCli(['extract', path, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u007f-\u009f\u202a-\u202e]/);
    const doc = DocumentModelSchema.parse(JSON.parse(r.stdout));
    expect(doc).toMatchObject({ format: 'epub', title: 'Night', text: 'It was a dark night \u0081\u009b\u202e.' });
    expect(doc.anchors).toEqual([{ kind: 'chapter', label: 'Opening', start: 0, end: 24 }]);
  });

  it('prints a readable summary without --json', async () => {
    const path = file('report.pdf', makePdf([{ paragraphs: [['First page.']] }, { paragraphs: [['Second page.']] }], { title: 'Report', labels: [[0, 'D', 'A-']] }));
    const r = await runCli(['extract', path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('format    pdf');
    expect(r.stdout).toContain('title     Report');
    expect(r.stdout).toContain('2 pages');
    expect(r.stdout).toContain('A-1 … A-2');
    expect(r.stdout).toContain('First page. Second page.');
  });

  it.each([
    ['random.pdf', 'CORRUPT', (): Uint8Array | string => random],
    ['scan.pdf', 'SCANNED', (): Uint8Array | string => makePdf([{ image: true }])],
    ['locked.pdf', 'ENCRYPTED', (): Uint8Array | string => makePdf([{ paragraphs: [['x']] }], { userPassword: 'pw' })],
    ['empty.txt', 'EMPTY', (): Uint8Array | string => ''],
    ['blob.bin', 'UNSUPPORTED_FORMAT', (): Uint8Array | string => random],
    ['missing.epub', 'NOT_FOUND', null],
  ] as const)('refuses %s with exit 1 and one line "quire: %s: reason"', async (name, code, bytes) => {
    const path = bytes ? file(name, bytes()) : join(dir, name);
    const r = await runCli(['extract', path, '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(ONE_LINE_REFUSAL(code));
  });

  it('as a process, exits 1 with exactly that one line on stderr and nothing on stdout', () => {
    const r = spawnSync('node_modules/.bin/node', ['bin/quire.mjs', 'extract', file('empty-too.txt', ''), '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(ONE_LINE_REFUSAL('EMPTY'));
  });

  it('answers usage errors with exit 2', async () => {
    const r = await runCli(['extract']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE_REFUSAL('USAGE'));
  });

  it('opens a password-protected PDF with --password, and says when the password is not right', async () => {
    const locked = file('locked-pw.pdf', makePdf([{ paragraphs: [['Minutes of the board.']] }], { userPassword: 'pw', revision: 3 }));
    const r = await runCli(['extract', locked, '--json', '--password', 'pw']);
    expect(r.stderr).toBe('');
    expect(DocumentModelSchema.parse(JSON.parse(r.stdout)).text).toBe('Minutes of the board.');
    const wrong = await runCli(['extract', locked, '--json', '--password', 'nope']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^quire: ENCRYPTED: the PDF is password-protected and that password is not right\n$/);
    // qpdf's AES-256 file (revision 6) with its user password, through the bomb guard's decryption as well.
    const qpdf = join(import.meta.dirname, '../../corpus/files/pdfreader/sample-aes256-user-password.pdf');
    const aes = await runCli(['extract', qpdf, '--json', '--password', 'user secret']);
    expect(aes.stderr).toBe('');
    expect(JSON.parse(aes.stdout).text).toContain('hello world');
  });
});

