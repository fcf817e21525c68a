// Other projects' test files through `quire extract --json`, as a user would run it (issue 24's figure: read right
// >= 97% with 0 crashes, hangs or bad refusals; JSON valid for 100% of files).
//
// The folder (default /tmp/suites) holds one folder per project, each with an ORIGIN.json ({ repo, commit } and, where
// the suite states them elsewhere, { encodings: { path: charset } }) and the files at their paths in that repository.
// The files are not in this repository (their licences are theirs); fetch them as docs/benchmarks.md says.
//
// Each file is compared with a reference made without Quire: pdftotext (poppler-utils) for PDF; pandoc for DOCX,
// EPUB, HTML and Markdown; for text, the encoding the suite itself names (uchardet's test/<lang>/<charset>.txt,
// charset_normalizer's test table) decoded by iconv; for SRT/VTT, the cues the WebVTT test suite states beside its
// files, else the cue lines after each timing line (a simple cue parser). A file is READ RIGHT when word recall and precision against its reference (bench/word-agreement.ts) are
// both >= 0.9. A refusal is FAIR only where the file really is unreadable: empty, encrypted with a password nobody
// gave, no text in it (the reference finds none either), or not that format (the reference tool fails on it too, or
// the suite's own name calls it invalid); any other refusal is BAD. A CRASH is an exit without a one-line
// `quire: CODE: message` refusal (a stack trace, a signal); a HANG is a file still running after the timeout.
//
// Run: node_modules/.bin/node bench/other-suites.ts [folder] [--timeout 60] [--all]
//      (needs pdftotext, pdfinfo and pandoc: apt-get install poppler-utils pandoc)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join, relative } from 'node:path';
import { common, total, words } from './word-agreement.ts';

const ROOT = join(import.meta.dirname, '..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const QUIRE = join(ROOT, 'bin/quire.mjs');
const READ_RIGHT = 0.9;
const GOAL = 97;

const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args.splice(at, 2)[1];
};
const TIMEOUT_S = Number(flag('--timeout') ?? 60);
const ALL = args.includes('--all');
const FOLDER = args.filter((a) => a !== '--all')[0] ?? '/tmp/suites';

const FORMATS: Record<string, string> = {
  '.pdf': 'PDF', '.docx': 'DOCX', '.epub': 'EPUB', '.html': 'HTML', '.htm': 'HTML', '.xhtml': 'HTML',
  '.md': 'MD', '.markdown': 'MD', '.txt': 'TXT', '.srt': 'SRT', '.vtt': 'VTT',
};

// Files whose reference is wrong, not Quire: each was looked at by hand, and the reason is printed with the figures.
const EXCLUDED: Record<string, string> = {
  'pdfplumber/tests/pdfs/issue-848.pdf': "pdftotext writes the mirrored pages' words backwards ('eht' for 'the'); Quire's read forward",
  'pdfplumber/tests/pdfs/issue-192-example.pdf': "the fonts map their glyphs to runs of 'a', 'b', 'g', 'm': neither reader has words to compare",
  'pandoc/test/docx/text_in_shape_format.docx': 'pandoc leaves out the text of shapes and text boxes, which Word shows (and Quire reads)',
  'pandoc/test/docx/image_with_textbox_caption.docx': 'pandoc leaves out the text of shapes and text boxes, which Word shows (and Quire reads)',
  'pandoc/test/docx/metadata.docx': "pandoc moves the Abstract paragraph into metadata, which its plain writer does not print; Quire reads it in place",
  'pandoc/test/docx/metadata_after_normal.docx': "pandoc moves the Abstract paragraph into metadata, which its plain writer does not print; Quire reads it in place",
  'pandoc/test/docx/comments_warning.docx': "pandoc glues the one-letter cells of the comment's table ('XYZ', '456comment'); Quire reads them apart",
  'webvtt-py/tests/subtitles/invalid_timeframe.vtt': "the suite's invalid file: one cue's end time is '00:00:1d.890', which Quire skips with a warning and the simple cue parser keeps",
  'markitdown/packages/markitdown/tests/test_files/equations.docx': "pandoc gives the equations' Greek letters and functions as TeX commands (\\theta, \\lambda, \\sin), which the reference drops; Quire writes θ, λ, sin",
  'markitdown/packages/markitdown/tests/test_files/test.epub': "the table of contents page is in the spine's reading order; pandoc leaves out nav pages, Quire reads it",
};

for (const tool of [['pdftotext', '-v'], ['pdfinfo', '-v'], ['pandoc', '--version']]) {
  try {
    execFileSync(tool[0], tool.slice(1), { stdio: 'ignore' });
  } catch {
    console.error(`other-suites: ${tool[0]} not found (apt-get install poppler-utils pandoc)`);
    process.exit(1);
  }
}
if (!existsSync(FOLDER)) {
  console.error(`other-suites: no folder ${FOLDER} (fetch the suites first: see docs/benchmarks.md)`);
  process.exit(1);
}

type Origin = { repo: string; commit: string; encodings?: Record<string, string> };
type Reference = { text?: string; failure?: string; encrypted?: boolean };

function run(command: string, argv: string[], input?: Buffer): { ok: boolean; out: string; err: string } {
  const r = spawnSync(command, argv, { input, maxBuffer: 1 << 28, timeout: TIMEOUT_S * 1000 });
  return { ok: r.status === 0, out: r.stdout?.toString('utf8') ?? '', err: r.stderr?.toString('utf8').trim().split('\n')[0] ?? '' };
}

// iconv knows every charset the suites name (IBM852, MAC-CENTRALEUROPE, VISCII, EUC-TW…), TextDecoder only the web's.
function decode(bytes: Buffer, charset: string): Reference {
  const name = charset.replace(/_/g, '-').toUpperCase();
  const r = run('iconv', ['-f', name, '-t', 'UTF-8'], bytes);
  return r.ok ? { text: r.out.replace(/^\uFEFF/, '') } : { failure: `iconv -f ${name}: ${r.err}` };
}

// pandoc's plain text, made comparable: list numbers are pandoc's writer's (Word draws them from the numbering
// definitions, not from the text), an image's alt text is not on the page, a tracked deletion is not in the
// accepted text, and math is TeX source whose commands ("\\frac", "\\infty") are not characters shown; comments are
// kept with their author, as Quire reads them (--track-changes=all marks both).
const PANDOC_FILTER = join(mkdtempSync(join(tmpdir(), 'other-suites-')), 'reference.lua');
writeFileSync(
  PANDOC_FILTER,
  `function OrderedList(el) return pandoc.BulletList(el.content) end
function Image(el) return {} end
function Math(el) return pandoc.Str((el.text:gsub('\\\\%a+', ' '))) end
function Span(el)
  if el.classes:includes('deletion') then return {} end
  if el.classes:includes('comment-start') then return {pandoc.Str('Comment by ' .. (el.attributes.author or '') .. ':'), pandoc.Space(), table.unpack(el.content)} end
end
`,
);

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', nbsp: ' ', lrm: '', rlm: '' };

// The cue text of an SRT or WebVTT file: the lines after each timing line up to a blank line, without tags.
function cueText(source: string): string {
  const out: string[] = [];
  let inCue = false;
  for (const line of source.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
    if (line.includes('-->')) inCue = true;
    else if (line.trim() === '') inCue = false;
    else if (inCue) out.push(line.replace(/<[^>]*>/g, '').replace(/&(\w+);/g, (m, e: string) => ENTITIES[e] ?? m));
  }
  return out.join('\n');
}

// The WebVTT test suite (web-platform-tests, in w3c/webvtt.js) states each file's cues beside it in <name>.js
// (`assert_equals(cues[0].text, "…")`, or a loop giving 'text' + i): the parser the specification describes
// drops cues with malformed timings that the simple cue parser above would keep.
function expectedCues(file: string): string | undefined {
  const js = file.replace(/\.vtt$/, '.js');
  if (js === file || !existsSync(js)) return undefined;
  const source = readFileSync(js, 'utf8');
  const count = Number(source.match(/cues\.length, (\d+)/)?.[1] ?? NaN);
  const literal = (quoted: string): string => JSON.parse(quoted.startsWith("'") ? `"${quoted.slice(1, -1).replace(/"/g, '\\"')}"` : quoted);
  const texts = [...source.matchAll(/cues\[(\d+)\]\.text, ("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/g)].map((m) => literal(m[2]));
  const loop = source.match(/cues\[i\]\.text, ('(?:[^'\\]|\\.)*') \+ i/);
  if (loop) return Array.from({ length: count }, (_, i) => `${literal(loop[1])}${i}`).join('\n');
  if (texts.length || count === 0) return texts.join('\n');
  return undefined;
}

function reference(file: string, format: string, origin: Origin, path: string): Reference {
  const bytes = readFileSync(file);
  if (format === 'PDF') {
    const info = run('pdfinfo', [file]);
    const r = run('pdftotext', ['-enc', 'UTF-8', file, '-']);
    const encrypted = /Incorrect password|Encrypted:\s+yes/.test(`${info.err}\n${info.out}\n${r.err}`);
    return r.ok ? { text: r.out, encrypted } : { failure: `pdftotext: ${r.err}`, encrypted };
  }
  if (format === 'DOCX' || format === 'EPUB' || format === 'HTML' || format === 'MD') {
    const from = { DOCX: 'docx', EPUB: 'epub', HTML: 'html', MD: 'markdown' }[format];
    // A DOCX's Title, Author, Date and Abstract paragraphs are moved into pandoc's metadata: -s prints them.
    const standalone = format === 'DOCX' ? ['-s'] : [];
    const r = run('pandoc', ['-f', from, ...standalone, '--track-changes=all', '--lua-filter', PANDOC_FILTER, '-t', 'plain', '--wrap=none', file]);
    return r.ok ? { text: r.out } : { failure: `pandoc: ${r.err}` };
  }
  const named = origin.encodings?.[path] ?? basename(path, extname(path)).match(/(?:^|[_-])(windows-125\d)$/)?.[1];
  if (format === 'TXT') {
    const charset = named ?? (origin.repo === 'freedesktop/uchardet' ? basename(path, '.txt') : undefined);
    return charset ? decode(bytes, charset) : { failure: 'no known encoding' };
  }
  const expected = expectedCues(file);
  if (expected !== undefined) return { text: expected };
  const decoded = named ? decode(bytes, named) : { text: new TextDecoder('utf-8').decode(bytes) };
  return decoded.text === undefined ? decoded : { text: cueText(decoded.text) };
}

type Outcome = 'right' | 'wrong' | 'fair' | 'bad' | 'crash' | 'hang' | 'unverified' | 'excluded';
type Row = { project: string; format: string; path: string; outcome: Outcome; json: boolean | undefined; note: string };

const REFUSAL = /^quire: ([A-Z_]+): .+$/;

function fairRefusal(code: string, size: number, ref: Reference, path: string): string | undefined {
  if (size === 0) return 'empty file';
  if (code === 'ENCRYPTED' && ref.encrypted) return 'encrypted with a password nobody gave';
  if (ref.failure) return `not that format / damaged: ${ref.failure}`;
  if (ref.text !== undefined && total(words(ref.text)) === 0) return 'no text (the reference finds none either)';
  if (/invalid|unreadable|-fatal\b/i.test(basename(path))) return "the suite's own name calls it invalid";
  return undefined;
}

function check(project: string, origin: Origin, file: string, path: string, format: string): Row {
  const row = (outcome: Outcome, json: boolean | undefined, note: string): Row => ({ project, format, path, outcome, json, note });
  const started = performance.now();
  const r = spawnSync(NODE, [QUIRE, 'extract', '--json', file], { maxBuffer: 1 << 28, timeout: TIMEOUT_S * 1000, killSignal: 'SIGKILL' });
  const ms = (performance.now() - started).toFixed(0);
  const stdout = r.stdout?.toString('utf8') ?? '';
  const stderr = r.stderr?.toString('utf8').trim() ?? '';
  let parsed: { text?: string } | undefined;
  // Undefined where nothing was printed (a refusal goes to stderr): the share is of the outputs that were printed.
  let json: boolean | undefined;
  if (stdout.trim()) {
    json = true;
    try {
      parsed = JSON.parse(stdout);
    } catch {
      json = false;
    }
  }
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return row('hang', json, `no answer in ${TIMEOUT_S} s`);
  if (r.signal) return row('crash', json, `killed by ${r.signal}`);
  if (r.status !== 0) {
    const code = stderr.match(REFUSAL)?.[1];
    if (!code || stderr.includes('\n')) return row('crash', json, `exit ${r.status}: ${stderr.split('\n').slice(0, 3).join(' | ').slice(0, 200)}`);
    const ref = reference(file, format, origin, path);
    const fair = fairRefusal(code, statSync(file).size, ref, path);
    return fair ? row('fair', json, `${code}: ${fair}`) : row('bad', json, `${stderr}`);
  }
  if (json !== true || typeof parsed?.text !== 'string') return row('crash', json, `exit 0 but ${json ? 'no text in the JSON' : 'invalid JSON'}`);
  if (EXCLUDED[`${project}/${path}`]) return row('excluded', json, EXCLUDED[`${project}/${path}`]);
  const ref = reference(file, format, origin, path);
  if (ref.text === undefined) return row('unverified', json, `read; no reference (${ref.failure})`);
  const p = words(ref.text);
  const q = words(parsed.text);
  // pdftotext has no OCR: a scanned page is text Quire read that it cannot check.
  if (format === 'PDF' && total(p) === 0 && total(q) > 0) return row('unverified', json, `scanned: pdftotext reads no text, Quire's OCR ${total(q)} words`);
  const both = common(p, q);
  const recall = total(p) ? both / total(p) : total(q) ? 0 : 1;
  const precision = total(q) ? both / total(q) : total(p) ? 0 : 1;
  const note = `recall ${recall.toFixed(3)} precision ${precision.toFixed(3)} (${total(p)} / ${total(q)} words, ${ms} ms)`;
  return row(recall >= READ_RIGHT && precision >= READ_RIGHT ? 'right' : 'wrong', json, note);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile() && FORMATS[extname(p).toLowerCase()])
    .sort();
}

const rows: Row[] = [];
const origins: string[] = [];
for (const project of readdirSync(FOLDER).sort()) {
  const dir = join(FOLDER, project);
  if (!existsSync(join(dir, 'ORIGIN.json'))) continue;
  const origin: Origin = JSON.parse(readFileSync(join(dir, 'ORIGIN.json'), 'utf8'));
  const files = filesUnder(dir);
  origins.push(`${project}: github.com/${origin.repo} @ ${origin.commit.slice(0, 12)}, ${files.length} files`);
  for (const file of files) {
    const path = relative(dir, file);
    const result = check(project, origin, file, path, FORMATS[extname(file).toLowerCase()]);
    rows.push(result);
    if (ALL || result.outcome !== 'right') console.log(`${result.outcome.padEnd(10)} ${project}/${path}  ${result.note}${result.json === false ? '  [JSON INVALID]' : ''}`);
  }
}

const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : '—');
const jsonShare = (these: Row[]) => {
  const printed = these.filter((r) => r.json !== undefined);
  return `${printed.filter((r) => r.json).length}/${printed.length}`;
};
const COLUMNS: Outcome[] = ['right', 'wrong', 'fair', 'bad', 'crash', 'hang', 'unverified', 'excluded'];
function table(title: string, key: (r: Row) => string) {
  const groups = [...new Set(rows.map(key))].sort();
  const out = [[title, 'files', ...COLUMNS.map((c) => ({ right: 'read right', fair: 'fair refusals', bad: 'bad refusals' })[c as string] ?? c), 'JSON valid', 'read right %']];
  for (const group of [...groups, 'total']) {
    const these = rows.filter((r) => group === 'total' || key(r) === group);
    const count = (o: Outcome) => these.filter((r) => r.outcome === o).length;
    // The share is of the files a user expects read: the fair refusals and the excluded ones are not counted.
    const judged = these.length - count('fair') - count('excluded') - count('unverified');
    out.push([group, String(these.length), ...COLUMNS.map((c) => String(count(c))), jsonShare(these), pct(count('right'), judged)]);
  }
  const widths = out[0].map((_, c) => Math.max(...out.map((r) => r[c].length)));
  console.log(`\n${out.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n')}`);
}

console.log(`\nsuites in ${FOLDER}:\n  ${origins.join('\n  ')}`);
console.log(`read right = word recall and precision both >= ${READ_RIGHT} against the reference; timeout ${TIMEOUT_S} s a file`);
for (const [file, why] of Object.entries(EXCLUDED)) console.log(`excluded ${file}: ${why}`);
table('project', (r) => r.project);
table('format', (r) => r.format);
const judged = rows.filter((r) => !['fair', 'excluded', 'unverified'].includes(r.outcome));
const right = judged.filter((r) => r.outcome === 'right').length;
const failures = rows.filter((r) => ['crash', 'hang', 'bad'].includes(r.outcome)).length;
console.log(`\nread right ${right}/${judged.length} = ${pct(right, judged.length)} (goal >= ${GOAL}%); crashes, hangs and bad refusals ${failures} (goal 0); JSON valid ${jsonShare(rows)} of the outputs printed (goal 100%)`);
