import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO } from '../../e2e/serve-process.ts';

// `quire extract` starts two processes (the command and its parser); what each loads is most of its start-up
// (bench/cli-start.ts times it). A loader hook, inherited by the parser through its exec flags, records every
// module each process loads.
const HOOK = `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({ load(url, context, next) { appendFileSync(process.env.LOADED_LOG, url + '\\n'); return next(url, context); } });
`;

describe('quire extract starts light', () => {
  it('reads a text file without loading the other parsers, pdf.js or zod, and keeps its compiled modules for the next start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quire-cli-start-'));
    const hook = join(dir, 'hook.mjs');
    writeFileSync(hook, HOOK);
    const file = join(dir, 'note.txt');
    writeFileSync(file, 'A short note about the lighthouse keeper.\n');
    const log = join(dir, 'loaded.log');
    const env = { ...process.env, LOADED_LOG: log, XDG_CACHE_HOME: join(dir, 'cache'), NODE_COMPILE_CACHE: '' };
    const result = spawnSync(process.execPath, ['--import', pathToFileURL(hook).href, 'bin/quire.mjs', 'extract', file], { cwd: REPO, encoding: 'utf8', env, timeout: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('lighthouse keeper');
    const loaded = readFileSync(log, 'utf8').split('\n');
    // Sanity: the hook saw the parser process too.
    expect(loaded.some((url) => url.endsWith('/documents/worker.ts'))).toBe(true);
    expect(loaded.some((url) => url.endsWith('/documents/text.ts'))).toBe(true);
    const heavy = loaded.filter((url) => /\/documents\/(pdf|docx|epub|html|subtitles|markup)\.ts$|\/node_modules\/(pdfjs-dist|zod|parse5|saxes|fflate)\//.test(url));
    expect([...new Set(heavy)]).toEqual([]);
    expect(readdirSync(join(dir, 'cache', 'quire', 'compile-cache')).length).toBeGreaterThan(0);
  });
});
