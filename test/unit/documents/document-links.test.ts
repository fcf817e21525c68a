// A document passed by path that is a link (or behind a linked folder) to a system file or a hidden file of
// the home folder is refused with one line naming the real file; links to ordinary files still work.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDocumentPath } from '../../../electron/node/documents/document-path.ts';

const REPO = join(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'quire-links-'));
const home = join(dir, 'home');
mkdirSync(join(home, '.ssh'), { recursive: true });
writeFileSync(join(home, '.ssh', 'id_ed25519'), 'PRIVATE KEY\n');
writeFileSync(join(dir, 'notes.txt'), 'Plain notes about the garden.\n');
symlinkSync('/etc/passwd', join(dir, 'report.txt'));
symlinkSync('/etc', join(dir, 'docs'));
symlinkSync(join(home, '.ssh', 'id_ed25519'), join(dir, 'minutes.txt'));
symlinkSync(join(dir, 'notes.txt'), join(dir, 'notes-link.txt'));
symlinkSync(join(dir, 'report.txt'), join(dir, 'chain.txt'));

function quire(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/quire.mjs', ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, HOME: home, QUIRE_DATA_DIR: join(dir, 'data') }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('documents behind symbolic links', () => {
  it.each([
    ['a link to /etc/passwd', 'report.txt', /is a link to \/etc\/passwd, a system file \(under \/etc\)/],
    ['a file in a linked /etc', 'docs/passwd', /is a link to \/etc\/passwd, a system file/],
    ['a link to a link to /etc/passwd', 'chain.txt', /is a link to \/etc\/passwd/],
    ['a link to a key in ~/.ssh', 'minutes.txt', /id_ed25519, a hidden file of your home folder/],
  ])('quire extract refuses %s', (_name, file, message) => {
    const r = quire('extract', join(dir, file));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^quire: FORBIDDEN: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).not.toMatch(/root:|PRIVATE KEY/);
  });

  it('quire ask refuses it before anything is stored', () => {
    const r = quire('ask', join(dir, 'report.txt'), 'Who is root?');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/quire: FORBIDDEN: .*is a link to \/etc\/passwd/);
  });

  it('a link to an ordinary file is read', () => {
    const r = quire('extract', join(dir, 'notes-link.txt'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Plain notes about the garden.');
  });

  it('a system file named directly is the user’s choice', async () => {
    await expect(checkDocumentPath('/etc/passwd', home)).resolves.toBeUndefined();
    await expect(checkDocumentPath(join(home, '.ssh', 'id_ed25519'), home)).resolves.toBeUndefined();
  });
});
