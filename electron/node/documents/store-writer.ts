// An import's rows written by a worker thread on a connection of its own. A book's text is megabytes of SQLite
// pages: 10 ms of the thread that writes them on an idle machine, 15–90 ms measured on two busy cores, which the
// app's event loop no longer waits for. The document store stays the one writer of its tables: it hands each
// import's rows here and awaits them; the app's other writes go on its own connection, and SQLite's write lock
// (BEGIN IMMEDIATE, the busy timeout) puts them before or after the import's transaction, never inside it.
import { Worker } from 'node:worker_threads';
import type { DatabaseSync } from 'node:sqlite';
import { atomically, CONNECTION_PRAGMAS, FILE_PRAGMAS } from '../db.ts';

export interface RowsRequest {
  hash: string;
  id: string;
  // The documents row's values, in the order of `sql.document`'s parameters.
  row: (string | number | Uint8Array)[];
  anchors: { kind: string; label: string; start: number; end: number }[];
  sql: { raced: string; document: string; anchor: string };
  progressEvery: number;
}

export interface RowsWritten {
  id: string;
  duplicate: boolean;
}

// One transaction (`atomically`, db.ts): the row unless another import of the same bytes stored it first, then its
// anchors. The worker runs its source: it uses nothing but its arguments.
function writeRows(db: DatabaseSync, request: RowsRequest, progress: (done: number) => void, inTransaction: typeof atomically): RowsWritten {
  return inTransaction(db, () => {
    const raced = db.prepare(request.sql.raced).get(request.hash) as { id: string } | undefined;
    if (raced) return { id: raced.id, duplicate: true };
    db.prepare(request.sql.document).run(...request.row);
    const insert = db.prepare(request.sql.anchor);
    for (let seq = 0; seq < request.anchors.length; seq++) {
      const a = request.anchors[seq];
      insert.run(request.id, seq, a.kind, a.label, a.start, a.end);
      if ((seq + 1) % request.progressEvery === 0) progress(seq + 1);
    }
    return { id: request.id, duplicate: false };
  });
}

// Evaluated rather than loaded from a file, so that the desktop bundle needs no entry for it. A connection per
// import, set as the app's own (db.ts): none stays open to outlive the app's.
const PROGRAM = `
const { parentPort } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const atomically = ${atomically.toString()};
const writeRows = ${writeRows.toString()};
parentPort.on('message', ({ path, request }) => {
  let db;
  try {
    db = new DatabaseSync(path);
    db.exec(${JSON.stringify(`${CONNECTION_PRAGMAS}; ${FILE_PRAGMAS}`)});
    parentPort.postMessage({ written: writeRows(db, request, (done) => parentPort.postMessage({ progress: done }), atomically) });
  } catch (error) {
    parentPort.postMessage({ error: { message: String(error && error.message), code: error && error.code, errcode: error && error.errcode } });
  } finally {
    try { db && db.close(); } catch {}
  }
});
`;

type Reply = { progress: number } | { written: RowsWritten } | { error: { message: string; code?: string; errcode?: number } };

let worker: Worker | null = null;
// Imports are stored one at a time, in the order they were handed over.
let queue: Promise<unknown> = Promise.resolve();

function writer(): Worker {
  if (worker) return worker;
  // None of the app's flags: a host's `--input-type=module` would make the program a module, without require().
  const started = new Worker(PROGRAM, { eval: true, execArgv: [] });
  started.on('error', () => undefined);
  started.on('exit', () => {
    if (worker === started) worker = null;
  });
  started.unref();
  return (worker = started);
}

// Writes the rows into the database file at `path` (a database in memory has no file for the worker to open:
// its rows are written here, by the same function). The error thrown is SQLite's own (its code and errcode kept),
// for the caller to report as any failed transaction.
export function storeRows(db: DatabaseSync, request: RowsRequest, progress: (done: number) => void): Promise<RowsWritten> {
  const path = db.location();
  if (!path) return Promise.resolve().then(() => writeRows(db, request, progress, atomically));
  const written = queue.then(
    () =>
      new Promise<RowsWritten>((resolve, reject) => {
        const thread = writer();
        const settle = () => {
          thread.off('message', onReply);
          thread.off('exit', onExit);
          thread.unref();
        };
        const onReply = (reply: Reply) => {
          if ('progress' in reply) return progress(reply.progress);
          settle();
          if ('written' in reply) resolve(reply.written);
          else reject(Object.assign(new Error(reply.error.message), { code: reply.error.code, errcode: reply.error.errcode }));
        };
        const onExit = () => {
          settle();
          reject(new Error('the document writer stopped'));
        };
        thread.on('message', onReply);
        thread.on('exit', onExit);
        // Held while it owes an answer (a CLI import must not end before it is stored).
        thread.ref();
        thread.postMessage({ path, request });
      }),
  );
  queue = written.catch(() => undefined);
  return written;
}
