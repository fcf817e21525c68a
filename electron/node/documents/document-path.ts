// A document given by path (quire ask, quire extract) that is a symbolic link, or sits behind one, is read only
// when the link ends at an ordinary file of the user. A file downloaded as `report.pdf` that is really a link
// to /etc/shadow or ~/.ssh/id_rsa would otherwise be read into the library, and from there into answers and
// exports. A path the user names directly is theirs to import, wherever it is. Hard links to such files are
// refused by their owner (hardLinkRisk below).
import { realpath, stat } from 'node:fs/promises';
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

// Accounts below this id are the system's (root, daemons); people's accounts start here (macOS: 501).
const FIRST_USER_UID = process.platform === 'darwin' ? 500 : 1000;

// A hard link has no target to look at: each of its names is the file. A second name for /etc/shadow in the
// Downloads folder is told by its link count above one together with its owner, a system account or another
// user, where a document the user saved is theirs. The user's own hard-linked files still import; one owned
// by root is refused even for root, who can copy it. Windows gives no owner through stat, and there the rule
// is not applied.
export function hardLinkRisk(info: { nlink: number; uid: number }, ownUid: number | undefined): string | null {
  if (ownUid === undefined || info.nlink < 2) return null;
  if (info.uid < FIRST_USER_UID) return `a file of a system account (uid ${info.uid})`;
  if (info.uid !== ownUid) return `a file of another user (uid ${info.uid})`;
  return null;
}

export async function checkDocumentPath(path: string, home: string = homedir(), ownUid: number | undefined = process.getuid?.()): Promise<void> {
  const real = await realpath(path).catch(() => null);
  // Missing files are reported by the reader.
  if (real === null) return;
  // A path that resolves to itself goes through no symbolic link, but may be a hard link.
  if (real === resolve(path)) {
    // A name inside a system folder was chosen as it is, like a system file named directly.
    if (SYSTEM_ROOTS.some((r) => inside(r, real))) return;
    const info = await stat(real).catch(() => null);
    const why = info?.isFile() ? hardLinkRisk(info, ownUid) : null;
    if (why) throw new QuireError('FORBIDDEN', `${path} is a hard link (${info!.nlink} names) to ${why}; copy it and import the copy if you mean to`);
    return;
  }
  const realHome = await realpath(home).catch(() => home);
  const why = sensitive(real, realHome);
  if (why) throw new QuireError('FORBIDDEN', `${path} is a link to ${real}, ${why}; pass that file itself if you mean to import it`);
}
