// SQLite copies its write-ahead log into the database file (a checkpoint) inside the COMMIT that takes the log
// past 1,000 pages: with a book's text that is 20–80 ms of copying on the app's event loop, in the middle of an
// import. The app's connections leave it to a worker thread's own connection instead, which checkpoints
// PASSIVE (never waiting on, nor blocking, the app's readers and writer) after a transaction and whenever the
// log has changed since the last look. closeDatabase checkpoints what is left, so a closed database is whole in
// its file.
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

// How often a log that autocommit statements (a streamed answer's text) grew is looked at.
export const CHECKPOINT_LOOK_MS = 1000;

// The worker's whole program, evaluated rather than loaded from a file so that no bundle entry is needed for it
// (the desktop build emits the app's own workers as separate scripts). A connection is opened per checkpoint:
// none stays open beside the app's to outlive it.
const PROGRAM = `
const { parentPort } = require('node:worker_threads');
const { existsSync } = require('node:fs');
const { DatabaseSync } = require('node:sqlite');
parentPort.on('message', (path) => {
  let db;
  try {
    // Opening makes a database where none is: one removed since is left removed.
    if (!existsSync(path)) throw new Error('gone');
    db = new DatabaseSync(path);
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  } catch {
    // A database closed, moved aside or damaged meanwhile: the next look, or the last close, checkpoints.
  } finally {
    try { db?.close(); } catch {}
  }
  parentPort.postMessage(path);
});
`;

interface Watched {
  lastSeen: string;
  timer: NodeJS.Timeout;
}

let worker: Worker | null = null;
// Checkpoints asked for and not yet done, by path: one at a time per database is enough.
const pending = new Set<string>();
const watched = new Map<string, Watched>();

function checkpointer(): Worker {
  if (worker) return worker;
  worker = new Worker(PROGRAM, { eval: true });
  worker.on('message', (path: string) => pending.delete(path));
  worker.on('error', () => undefined);
  worker.on('exit', () => {
    worker = null;
    pending.clear();
  });
  // After the listeners, which would hold the app open again: the app's exit is never kept waiting by it.
  worker.unref();
  return worker;
}

const logStamp = (path: string) => {
  const wal = statSync(`${path}-wal`, { throwIfNoEntry: false });
  return wal ? `${wal.size}:${wal.mtimeMs}` : '';
};

// Asks for a checkpoint of `path` now (after a transaction), unless one is under way.
export function checkpointSoon(path: string): void {
  if (!watched.has(path) || pending.has(path)) return;
  pending.add(path);
  checkpointer().postMessage(path);
}

// Checkpoints `path`'s log off the event loop from now on, until unwatchLog().
export function watchLog(path: string): void {
  if (watched.has(path)) return;
  const entry: Watched = {
    lastSeen: logStamp(path),
    timer: setInterval(() => {
      const stamp = logStamp(path);
      if (stamp === entry.lastSeen) return;
      entry.lastSeen = stamp;
      checkpointSoon(path);
    }, CHECKPOINT_LOOK_MS),
  };
  entry.timer.unref();
  watched.set(path, entry);
}

// With the last database closed the worker has no log left to checkpoint: it ends, rather than idle as a thread
// for the rest of the process.
export function unwatchLog(path: string): void {
  clearInterval(watched.get(path)?.timer);
  watched.delete(path);
  if (watched.size === 0) void worker?.terminate();
}
