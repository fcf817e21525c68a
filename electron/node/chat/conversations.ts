import { randomUUID } from 'node:crypto';
import { ConversationEngine, ConversationStyle, type ChatMessage, type Conversation, type ConversationSummary } from '../../common/contract.ts';
import { QuireError } from '../../common/errors.ts';
import { isDamaged, migrate, transaction, type Db } from '../db.ts';

const MIGRATIONS = [
  `CREATE TABLE conversations (
     id TEXT PRIMARY KEY,
     title TEXT NOT NULL,
     document_ids TEXT NOT NULL,
     model_id TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE messages (
     id TEXT PRIMARY KEY,
     conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
     content TEXT NOT NULL,
     quotes TEXT NOT NULL DEFAULT '[]',
     stats TEXT,
     created_at INTEGER NOT NULL,
     UNIQUE (conversation_id, seq)
   );`,
  // A title the user gave is kept when the first question is edited (which otherwise re-titles).
  `ALTER TABLE conversations ADD COLUMN user_title INTEGER NOT NULL DEFAULT 0;`,
  // A remote engine's {engineId, model, host} as JSON; NULL for the local model (every older conversation).
  `ALTER TABLE conversations ADD COLUMN engine TEXT;`,
  // Versions of an edited question: the tails a question at `seq` had before it was edited (or switched away
  // from), each with the later questions' own versions inside; `messages.version` numbers the one shown.
  `CREATE TABLE message_versions (
     conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     version INTEGER NOT NULL,
     tail TEXT NOT NULL,
     PRIMARY KEY (conversation_id, seq, version)
   );
   ALTER TABLE messages ADD COLUMN version INTEGER NOT NULL DEFAULT 1;`,
  // Answers are stored as they stream: 'streaming' while written, 'interrupted' when the app stopped first,
  // 'failed' (with the engine's error) when the engine did. The index finds the unfinished ones at each start.
  `ALTER TABLE messages ADD COLUMN status TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'streaming', 'interrupted', 'failed'));
   ALTER TABLE messages ADD COLUMN error TEXT;
   CREATE INDEX messages_unfinished ON messages (status) WHERE status = 'streaming';`,
  // The conversation's own instructions and sampling as JSON; NULL while it follows the app's (every older one).
  `ALTER TABLE conversations ADD COLUMN style TEXT;`,
];

// How much of the first question becomes the conversation's title.
const TITLE_CHARS = 80;

interface ConversationRow {
  id: string;
  title: string;
  document_ids: string;
  model_id: string | null;
  engine: string | null;
  // Absent in a damaged database read as its older schema has it.
  style?: string | null;
  created_at: number;
  updated_at: number;
}

interface MessageRow {
  id: string;
  seq: number;
  version: number;
  role: 'user' | 'assistant';
  content: string;
  quotes: string;
  stats: string | null;
  created_at: number;
  // Absent in the tails of versions put aside before answers had a status.
  status?: 'complete' | NonNullable<ChatMessage['status']>;
  error?: string | null;
}

// A message to store: the store gives it its id, time and version.
export type NewMessage = Omit<ChatMessage, 'id' | 'createdAt' | 'version'>;

// A tail put aside as a version: its messages and the versions of its later questions.
interface StoredTail {
  messages: MessageRow[];
  nested: { seq: number; version: number; tail: string }[];
}

// Conversations and their messages, in prompt order by `seq` (gaps are left where a turn was removed). An
// edited question keeps what it replaced as a version to switch back to; a regenerated answer replaces its tail.
export class ConversationStore {
  #db: Db;

  constructor(db: Db) {
    this.#db = db;
    migrate(db, 'conversations', MIGRATIONS);
    // An answer still being written when the app last stopped was cut off by that stop (one app writes a
    // data folder at a time).
    if (!isDamaged(db)) this.#db.prepare("UPDATE messages SET status = 'interrupted' WHERE status = 'streaming'").run();
  }

  create(documentIds: string[], modelId: string | null, engine: ConversationEngine | null = null): Conversation {
    const id = randomUUID();
    const now = Date.now();
    this.#db
      .prepare('INSERT INTO conversations (id, title, document_ids, model_id, engine, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, '', JSON.stringify(documentIds), modelId, engine && JSON.stringify(engine), now, now);
    return this.get(id)!;
  }

  // The engine for the conversation's next questions; the answers already given keep saying which made them.
  setEngine(id: string, modelId: string | null, engine: ConversationEngine | null): boolean {
    return this.#db.prepare('UPDATE conversations SET model_id = ?, engine = ? WHERE id = ?').run(modelId, engine && JSON.stringify(engine), id).changes > 0;
  }

  setStyle(id: string, style: ConversationStyle | null): boolean {
    return this.#db.prepare('UPDATE conversations SET style = ? WHERE id = ?').run(style && JSON.stringify(style), id).changes > 0;
  }

  list(): ConversationSummary[] {
    const rows = this.#db.prepare('SELECT * FROM conversations ORDER BY updated_at DESC').all() as unknown as ConversationRow[];
    return rows.map(toConversation);
  }

  get(id: string): Conversation | undefined {
    const row = this.#db.prepare('SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow | undefined;
    if (!row) return undefined;
    const messages = this.#db.prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq').all(id) as unknown as MessageRow[];
    const versions = this.#db.prepare('SELECT seq, version FROM message_versions WHERE conversation_id = ?').all(id) as unknown as { seq: number; version: number }[];
    return {
      ...toConversation(row),
      messages: messages.map((m) => {
        const others = versions.filter((v) => v.seq === m.seq).map((v) => v.version);
        if (m.role !== 'user' || others.length === 0) return toMessage(m);
        const all = [...others, m.version].sort((a, b) => a - b);
        return { ...toMessage(m), version: { index: all.indexOf(m.version) + 1, count: all.length } };
      }),
    };
  }

  // Drops the message `cutAt` and everything after it (when given), then appends `messages`, atomically. Cut at
  // a question (an edit), the old tail is kept as a version of that question; cut at an answer (regenerated),
  // it is gone.
  replaceTail(conversationId: string, cutAt: string | null, messages: NewMessage[]): ChatMessage[] {
    return transaction(this.#db, () => {
      let version = 1;
      if (cutAt) {
        const cut = this.#message(conversationId, cutAt);
        if (cut.role === 'user') {
          this.#putAside(conversationId, cut.seq);
          version = this.#nextVersion(conversationId, cut.seq);
        } else {
          this.#db.prepare('DELETE FROM message_versions WHERE conversation_id = ? AND seq >= ?').run(conversationId, cut.seq);
          this.#db.prepare('DELETE FROM messages WHERE conversation_id = ? AND seq >= ?').run(conversationId, cut.seq);
        }
      }
      const { seq } = this.#db.prepare('SELECT COALESCE(MAX(seq), -1) + 1 AS seq FROM messages WHERE conversation_id = ?').get(conversationId) as { seq: number };
      const now = Date.now();
      const insert = this.#db.prepare('INSERT INTO messages (id, conversation_id, seq, version, role, content, quotes, stats, status, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      const stored = messages.map((message, i) => {
        const id = randomUUID();
        insert.run(id, conversationId, seq + i, i === 0 ? version : 1, message.role, message.content, JSON.stringify(message.quotes), message.stats ? JSON.stringify(message.stats) : null, message.status ?? 'complete', message.error ?? null, now);
        return { ...message, id, createdAt: new Date(now).toISOString() };
      });
      const first = messages[0];
      const title = first?.role === 'user' && seq === 0 ? first.content.replace(/\s+/g, ' ').trim().slice(0, TITLE_CHARS) : null;
      this.#db.prepare('UPDATE conversations SET updated_at = ?, title = CASE WHEN user_title THEN title ELSE COALESCE(?, title) END WHERE id = ?').run(now, title, conversationId);
      return stored;
    });
  }

  // Rewrites one stored answer in place: the answer as it streams (about once a second, so one row, not the
  // conversation), then as it ended.
  writeAnswer(id: string, answer: Pick<NewMessage, 'content' | 'quotes' | 'stats' | 'status' | 'error'>): void {
    transaction(this.#db, () => {
      this.#db
        .prepare('UPDATE messages SET content = ?, quotes = ?, stats = ?, status = ?, error = ? WHERE id = ?')
        .run(answer.content, JSON.stringify(answer.quotes), answer.stats ? JSON.stringify(answer.stats) : null, answer.status ?? 'complete', answer.error ?? null, id);
    });
  }

  // Takes out messages stored for a question that then failed before any answer, and puts back the title and
  // time the conversation had: it reads as it did before the question.
  discard(conversationId: string, messageIds: string[], before: { title: string; updatedAt: string }): void {
    transaction(this.#db, () => {
      const remove = this.#db.prepare('DELETE FROM messages WHERE id = ? AND conversation_id = ?');
      for (const id of messageIds) remove.run(id, conversationId);
      this.#db.prepare('UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?').run(before.title, Date.parse(before.updatedAt), conversationId);
    });
  }

  // Shows version `version` (1-based, in the order they were made) of the question `messageId` and what
  // followed it; the tail shown until now becomes a version in turn.
  switchVersion(conversationId: string, messageId: string, version: number): void {
    transaction(this.#db, () => {
      const question = this.#message(conversationId, messageId);
      const versions = this.#db.prepare('SELECT version FROM message_versions WHERE conversation_id = ? AND seq = ?').all(conversationId, question.seq) as unknown as { version: number }[];
      const wanted = [...versions.map((v) => v.version), question.version].sort((a, b) => a - b)[version - 1];
      if (question.role !== 'user' || wanted === undefined) throw new QuireError('NOT_FOUND', `this question has no version ${version}`);
      if (wanted === question.version) return;
      const row = this.#db.prepare('SELECT tail FROM message_versions WHERE conversation_id = ? AND seq = ? AND version = ?').get(conversationId, question.seq, wanted) as { tail: string };
      this.#putAside(conversationId, question.seq);
      this.#db.prepare('DELETE FROM message_versions WHERE conversation_id = ? AND seq = ? AND version = ?').run(conversationId, question.seq, wanted);
      const tail = JSON.parse(row.tail) as StoredTail;
      const insertMessage = this.#db.prepare('INSERT INTO messages (id, conversation_id, seq, version, role, content, quotes, stats, status, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      for (const m of tail.messages) insertMessage.run(m.id, conversationId, m.seq, m.version, m.role, m.content, m.quotes, m.stats, m.status ?? 'complete', m.error ?? null, m.created_at);
      const insertVersion = this.#db.prepare('INSERT INTO message_versions (conversation_id, seq, version, tail) VALUES (?, ?, ?, ?)');
      for (const v of tail.nested) insertVersion.run(conversationId, v.seq, v.version, v.tail);
      this.#db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?').run(Date.now(), conversationId);
    });
  }

  // Takes a question and its answer (either may be named) out of the conversation, and so out of what the
  // model is given next; the question's other versions go with it.
  removeTurn(conversationId: string, messageId: string): void {
    transaction(this.#db, () => {
      const message = this.#message(conversationId, messageId);
      const neighbour = this.#db
        .prepare(`SELECT * FROM messages WHERE conversation_id = ? AND seq ${message.role === 'user' ? '>' : '<'} ? ORDER BY seq ${message.role === 'user' ? 'ASC' : 'DESC'} LIMIT 1`)
        .get(conversationId, message.seq) as MessageRow | undefined;
      const pair = [message, ...(neighbour && neighbour.role !== message.role ? [neighbour] : [])];
      const question = pair.find((m) => m.role === 'user');
      const remove = this.#db.prepare('DELETE FROM messages WHERE id = ?');
      for (const m of pair) remove.run(m.id);
      if (question) this.#db.prepare('DELETE FROM message_versions WHERE conversation_id = ? AND seq = ?').run(conversationId, question.seq);
      this.#db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?').run(Date.now(), conversationId);
    });
  }

  #message(conversationId: string, id: string): MessageRow {
    const row = this.#db.prepare('SELECT * FROM messages WHERE id = ? AND conversation_id = ?').get(id, conversationId) as MessageRow | undefined;
    if (!row) throw new QuireError('NOT_FOUND', `no message with id ${id} in this conversation`);
    return row;
  }

  // Moves the tail from `seq` on (and its later questions' versions) aside as a version of the question at `seq`.
  #putAside(conversationId: string, seq: number): void {
    const messages = this.#db.prepare('SELECT * FROM messages WHERE conversation_id = ? AND seq >= ? ORDER BY seq').all(conversationId, seq) as unknown as MessageRow[];
    const nested = this.#db.prepare('SELECT seq, version, tail FROM message_versions WHERE conversation_id = ? AND seq > ?').all(conversationId, seq) as unknown as StoredTail['nested'];
    const tail: StoredTail = { messages, nested };
    this.#db.prepare('INSERT INTO message_versions (conversation_id, seq, version, tail) VALUES (?, ?, ?, ?)').run(conversationId, seq, messages[0].version, JSON.stringify(tail));
    this.#db.prepare('DELETE FROM message_versions WHERE conversation_id = ? AND seq > ?').run(conversationId, seq);
    this.#db.prepare('DELETE FROM messages WHERE conversation_id = ? AND seq >= ?').run(conversationId, seq);
  }

  #nextVersion(conversationId: string, seq: number): number {
    const { version } = this.#db.prepare('SELECT COALESCE(MAX(version), 0) + 1 AS version FROM message_versions WHERE conversation_id = ? AND seq = ?').get(conversationId, seq) as { version: number };
    return version;
  }

  rename(id: string, title: string): boolean {
    return this.#db.prepare('UPDATE conversations SET title = ?, user_title = 1 WHERE id = ?').run(title, id).changes > 0;
  }

  delete(id: string): boolean {
    return this.#db.prepare('DELETE FROM conversations WHERE id = ?').run(id).changes > 0;
  }
}

function toConversation(row: ConversationRow): ConversationSummary {
  return {
    id: row.id,
    title: row.title,
    documentIds: JSON.parse(row.document_ids),
    modelId: row.model_id,
    engine: row.engine ? ConversationEngine.parse(JSON.parse(row.engine)) : null,
    style: row.style ? ConversationStyle.parse(JSON.parse(row.style)) : null,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

function toMessage(row: MessageRow): ChatMessage {
  return {
    id: row.id,
    role: row.role,
    content: row.content,
    quotes: JSON.parse(row.quotes),
    stats: row.stats ? JSON.parse(row.stats) : null,
    createdAt: new Date(row.created_at).toISOString(),
    ...(row.status && row.status !== 'complete' ? { status: row.status } : {}),
    ...(row.error ? { error: row.error } : {}),
  };
}
