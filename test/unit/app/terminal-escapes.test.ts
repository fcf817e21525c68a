// File names and document text are not ours: printed raw, an ESC/OSC sequence in either can retitle the
// terminal, clear it, rewrite what was shown or (OSC 52) write to the clipboard. Everything the CLI prints
// reaches the terminal with its control characters made visible instead.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../../electron/cli/command.ts';
import { progressLine } from '../../../electron/cli/progress-line.ts';

const REPO = join(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'quire-escapes-'));
// OSC 0 (window title), CSI 2J (clear screen), OSC 52 (clipboard), a C1 CSI, a bidi override.
const HOSTILE = 'a\u001b]0;owned\u0007b\u001b[2Jc\u001b]52;c;ZWNobyBwd25lZA==\u0007d\u009b31me\u202ef';
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function quire(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/quire.mjs', ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, QUIRE_DATA_DIR: dir }, timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('control characters from outside never reach the terminal raw', () => {
  it('extract of a file whose name and text hold escape sequences', () => {
    // Text files with raw control bytes are refused as binary; HTML brings them in through character references.
    const file = join(dir, `${HOSTILE}.html`);
    writeFileSync(file, '<html><head><title>T&#x1b;]0;owned&#x07;x</title></head><body><p>Body &#x1b;[2J &#x9b;31m text</p></body></html>');
    const { code, out } = quire('extract', file);
    expect(code).toBe(0);
    expect(out).not.toMatch(CONTROLS);
    // Still recognisable: the escape is shown, not dropped.
    expect(out).toContain('\\x1b]0;owned\\x07');
  });

  it('an error naming such a file', () => {
    const { code, out } = quire('extract', join(dir, `missing-${HOSTILE}.txt`));
    expect(code).toBe(1);
    expect(out).toMatch(/^quire: [A-Z_]+: /);
    expect(out).not.toMatch(CONTROLS);
    expect(out.trim().split('\n')).toHaveLength(1);
  });

  it('keeps newlines and tabs, and the progress line keeps its own carriage return only', () => {
    expect(terminalSafe('a\tb\nc')).toBe('a\tb\nc');
    expect(terminalSafe('\u001b[2J')).toBe('\\x1b[2J');
    let written = '';
    const line = progressLine({ stdout: () => undefined, stderr: (t) => void (written += t), isTTY: true });
    line(`reading evil\rname.txt`);
    expect(written).toBe('\rreading evil\\rname.txt');
  });
});
