// Runs in a child process on a full disk (disk-full.test.ts): the app's services over a data folder prepared
// beforehand, asked what a user would do next. Prints one JSON line of outcomes.
import { closeSync, openSync, writeSync } from 'node:fs';
import { createAppServices } from '../../../electron/node/app-services.ts';
import { ConversationStore } from '../../../electron/node/chat/conversations.ts';
import { openDatabase } from '../../../electron/node/db.ts';
import { databasePath } from '../../../electron/node/paths.ts';
import { toEnvelope } from '../../../electron/common/errors.ts';
import { bigPdf } from './disk-full-fixtures.ts';

const [root, modelDir, filler, conversationId] = process.argv.slice(2);

const services = createAppServices({ mode: 'browser', root, modelDir });
const db = openDatabase(databasePath(root));
const conversations = new ConversationStore(db);

// On a small tmpfs the disk is filled now, with the database already open (as when it fills while the app
// runs); under `ulimit -f` every file is capped instead and there is nothing to fill.
if (filler) {
  const fd = openSync(filler, 'w');
  for (const size of [1 << 20, 4096, 1]) {
    try {
      for (;;) writeSync(fd, Buffer.alloc(size, 1));
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOSPC') throw error;
    }
  }
  closeSync(fd);
}

const list = await services.router('library.list', {});
const importPdf = await services.router('library.import', { name: 'big.pdf', bytes: bigPdf() });
let append: unknown = { ok: true };
try {
  conversations.replaceTail(conversationId, null, [{ role: 'user', content: 'x'.repeat(4 << 20), quotes: [], stats: null }]);
} catch (error) {
  append = { ok: false, error: toEnvelope(error) };
}
db.close();
await services.close();
process.stdout.write(`${JSON.stringify({ list, importPdf, append })}\n`);
