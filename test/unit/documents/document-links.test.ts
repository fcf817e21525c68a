// A document passed by path that is a link (or behind a linked folder) to a system file or a hidden file of
// the home folder is refused with one line naming the real file; links to ordinary files still work.
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDocumentPath, hardLinkRisk } from '../../../electron/node/documents/document-path.ts';

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
// The hard link made below is a name of /etc/passwd: left behind, it raises that file's link count for good.
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

describe('documents that are hard links', () => {
  it('refuses a second name of a file owned by a system account or another user, keeps the user’s own', () => {
    expect(hardLinkRisk({ nlink: 2, uid: 0 }, 1000)).toBe('a file of a system account (uid 0)');
    expect(hardLinkRisk({ nlink: 2, uid: 0 }, 0)).toBe('a file of a system account (uid 0)');
    expect(hardLinkRisk({ nlink: 3, uid: 1001 }, 1000)).toBe('a file of another user (uid 1001)');
    expect(hardLinkRisk({ nlink: 2, uid: 1000 }, 1000)).toBeNull();
    expect(hardLinkRisk({ nlink: 1, uid: 0 }, 1000)).toBeNull();
    // Windows: no owner to judge by.
    expect(hardLinkRisk({ nlink: 2, uid: 0 }, undefined)).toBeNull();
  });

  it('quire extract refuses a hard link to /etc/passwd where the system lets one be made', async () => {
    const link = join(dir, 'hard-report.txt');
    try {
      linkSync('/etc/passwd', link);
    } catch {
      // Linux's protected_hardlinks lets an ordinary user link only files they own: no such link can exist.
      return;
    }
    await expect(checkDocumentPath(link, home)).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/is a hard link \(\d+ names\) to a file of a system account \(uid 0\)/) });
    const r = quire('extract', link);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^quire: FORBIDDEN: .*hard link/);
    expect(r.stdout).not.toMatch(/root:/);
    // Named where it lives, the system file is still the user's choice.
    await expect(checkDocumentPath('/etc/passwd', home)).resolves.toBeUndefined();
  });
});

