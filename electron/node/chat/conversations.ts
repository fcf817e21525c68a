import { randomUUID } from 'node:crypto';
import { ConversationEngine, type ChatMessage, type Conversation, type ConversationSummary } from '../../common/contract.ts';
import { QuireError } from '../../common/errors.ts';
import { migrate, transaction, type Db } from '../db.ts';

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
];

// How much of the first question becomes the conversation's title.
const TITLE_CHARS = 80;

interface ConversationRow {
  id: string;
  title: string;
  document_ids: string;
  model_id: string | null;
  engine: string | null;
  created_at: number;
  updated_at: number;
}

interface MessageRow {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  quotes: string;
  stats: string | null;
  created_at: number;
}

// Conversations and their messages. A message list is only ever cut at a point and appended to (edit,
// regenerate), so `seq` stays dense and the order is the prompt order.
export class ConversationStore {
  #db: Db;

  constructor(db: Db) {
    this.#db = db;
    migrate(db, 'conversations', MIGRATIONS);
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

  list(): ConversationSummary[] {
    const rows = this.#db.prepare('SELECT * FROM conversations ORDER BY updated_at DESC').all() as unknown as ConversationRow[];
    return rows.map(toConversation);
  }

  get(id: string): Conversation | undefined {
    const row = this.#db.prepare('SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow | undefined;
    if (!row) return undefined;
    const messages = this.#db
      .prepare('SELECT id, role, content, quotes, stats, created_at FROM messages WHERE conversation_id = ? ORDER BY seq')
      .all(id) as unknown as MessageRow[];
    return { ...toConversation(row), messages: messages.map(toMessage) };
  }

  // Drops the message `cutAt` and everything after it (when given), then appends `messages`, atomically.
  replaceTail(conversationId: string, cutAt: string | null, messages: Omit<ChatMessage, 'id' | 'createdAt'>[]): ChatMessage[] {
    return transaction(this.#db, () => {
      if (cutAt) {
        const cut = this.#db.prepare('SELECT seq FROM messages WHERE id = ? AND conversation_id = ?').get(cutAt, conversationId) as { seq: number } | undefined;
        if (!cut) throw new QuireError('NOT_FOUND', `no message with id ${cutAt} in this conversation`);
        this.#db.prepare('DELETE FROM messages WHERE conversation_id = ? AND seq >= ?').run(conversationId, cut.seq);
      }
      const { seq } = this.#db.prepare('SELECT COALESCE(MAX(seq), -1) + 1 AS seq FROM messages WHERE conversation_id = ?').get(conversationId) as { seq: number };
      const now = Date.now();
      const insert = this.#db.prepare('INSERT INTO messages (id, conversation_id, seq, role, content, quotes, stats, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      const stored = messages.map((message, i) => {
        const id = randomUUID();
        insert.run(id, conversationId, seq + i, message.role, message.content, JSON.stringify(message.quotes), message.stats ? JSON.stringify(message.stats) : null, now);
        return { ...message, id, createdAt: new Date(now).toISOString() };
      });
      const first = messages[0];
      const title = first?.role === 'user' && seq === 0 ? first.content.replace(/\s+/g, ' ').trim().slice(0, TITLE_CHARS) : null;
      this.#db.prepare('UPDATE conversations SET updated_at = ?, title = CASE WHEN user_title THEN title ELSE COALESCE(?, title) END WHERE id = ?').run(now, title, conversationId);
      return stored;
    });
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
  };
}
