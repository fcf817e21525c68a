// A document given by path (quire ask, quire extract) that is a symbolic link, or sits behind one, is read only
// when the link ends at an ordinary file of the user. A file downloaded as `report.pdf` that is really a link
// to /etc/shadow or ~/.ssh/id_rsa would otherwise be read into the library, and from there into answers and
// exports. A path the user names directly is theirs to import, wherever it is.
import { realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { QuireError } from '../../common/errors.ts';

// System folders whose files are configuration, credentials, logs or kernel interfaces, never documents
// (with macOS's /private spellings of /etc and /var).
const SYSTEM_ROOTS = [
  '/etc', '/proc', '/sys', '/dev', '/boot', '/root', '/run',
  '/var/lib', '/var/log', '/var/db', '/var/root', '/var/spool', '/var/mail',
  '/private/etc', '/private/var/db', '/private/var/root', '/private/var/log',
  'C:\\Windows\\System32\\config',
];

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

// Why a link's target is not a document: a system folder, or a hidden folder or file of the home (~/.ssh,
// ~/.aws, ~/.config/…), where keys and tokens live. Null when it is an ordinary file.
function sensitive(real: string, home: string): string | null {
  const root = SYSTEM_ROOTS.find((r) => inside(r, real));
  if (root) return `a system file (under ${root})`;
  if (home && inside(home, real) && relative(home, real).split(sep).some((part) => part.startsWith('.'))) return 'a hidden file of your home folder';
  return null;
}

export async function checkDocumentPath(path: string, home: string = homedir()): Promise<void> {
  const real = await realpath(path).catch(() => null);
  // Missing files are reported by the reader; a path that resolves to itself goes through no link.
  if (real === null || real === resolve(path)) return;
  const realHome = await realpath(home).catch(() => home);
  const why = sensitive(real, realHome);
  if (why) throw new QuireError('FORBIDDEN', `${path} is a link to ${real}, ${why}; pass that file itself if you mean to import it`);
}
