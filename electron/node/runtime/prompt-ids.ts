// A document set's prompt ids, tokenized once and kept: the count shown for a document, the fit check and
// every question read the same stored prefix (prompt-encoding.ts), which survives restarts, so a follow-up —
// and the first question after a restart — encodes only its own words. Stored per model text identity (the
// tokenizer and template files, the prompt style), so another tokenizer or template never reads them.
//
// Layout under <data>/prompt-ids/<text identity>/: `<set key>.json` (the prefix's length, key, the head/rest split
// and the documents it is made of) beside `<set key>.ids` (the prefix's tokens, int32 little-endian).
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, rmSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { QuireError } from '../../common/errors.ts';
import { aroundTheLoop } from '../event-loop.ts';
import type { InstalledModel } from '../../common/contract.ts';
import type { PromptIds } from './model-runtime.ts';
import { prefixKey } from './prefix-store.ts';
import type { PromptSource, Turn } from './prompt.ts';
import type { EncodedDocuments } from './prompt-encoding.ts';
import type { TextService } from './text-service.ts';

// Bumped when the encoding of stored prefixes changes, so old files are not read.
const FORMAT = 1;
// Document sets whose stored prefix stays in memory (a few conversations' worth; the tokens only while used).
const KEPT = 8;

export interface DocumentRef {
  id: string;
  // The document's text, read only when its prefix has to be encoded.
  load: () => PromptSource;
}

interface Header {
  format: number;
  documentIds: string[];
  key: string;
  length: number;
  headLength: number;
  rest: string;
  // The prefix's tokens after its head: what every question's own encode starts with.
  stable: number[];
}

export interface StoredPrefix {
  header: Header;
  tokens: () => Promise<Int32Array>;
}

export class DocumentPrompts {
  readonly root: string;
  #text: TextService;
  #memo = new Map<string, Promise<StoredPrefix>>();
  #identities = new Map<string, Promise<string>>();

  constructor(dataRoot: string, text: TextService) {
    this.root = join(dataRoot, 'prompt-ids');
    this.#text = text;
  }

  // Tokens of the document in the model's prompt (template, title, text): the one count shown for it.
  async count(model: InstalledModel, document: DocumentRef): Promise<number> {
    return (await this.prefix(model, [document])).header.length;
  }

  // Loads the model's tokenizer in the text worker and names its stored ids, ahead of a count that is coming (a
  // document being imported): neither then waits on the other, or on the parse.
  async warm(model: InstalledModel): Promise<void> {
    await Promise.all([this.#text.warm(model.dir), this.#identity(model, textStamp(model))]);
  }

  async prefix(model: InstalledModel, documents: readonly DocumentRef[]): Promise<StoredPrefix> {
    const stamp = textStamp(model);
    const name = createHash('sha256').update(documents.map((d) => d.id).join('\n')).digest('hex').slice(0, 32);
    // Claimed before the first await: a caller coming while the text files are still being hashed shares this
    // encode (and the text its first caller had in hand).
    const memoKey = `${stamp}\0${name}`;
    let stored = this.#memo.get(memoKey);
    if (!stored) {
      stored = this.#identity(model, stamp).then((identity) => {
        const folder = join(this.root, identity);
        return this.#read(folder, name) ?? this.#encode(model, folder, name, documents);
      });
      // A failure (a damaged tokenizer, a runaway template) is not remembered: the next call tries again.
      stored.catch(() => this.#memo.delete(memoKey));
      this.#memo.set(memoKey, stored);
      if (this.#memo.size > KEPT) this.#memo.delete(this.#memo.keys().next().value!);
    }
    return stored;
  }

  // A question's prompt: the stored prefix, then the conversation encoded from the prefix's last characters on.
  async prompt(model: InstalledModel, documents: readonly DocumentRef[], turns: Turn[]): Promise<PromptIds & { documentTokens: number }> {
    const { header, tokens } = await this.prefix(model, documents);
    const { tail, afterHead } = await this.#text.encodeTail(model.dir, header.rest, turns, model.promptStyle, Uint32Array.from(header.stable));
    const documentTokens = header.length;
    if (tail) return { prefix: { key: header.key, length: header.length, tokens, owners: header.documentIds }, tail: new Int32Array(tail.buffer, tail.byteOffset, tail.length), documentTokens };
    // The question's first characters merged with the prefix's last tokens: this prompt does not start with the
    // prefix, so it goes whole (the engine still reuses what its cache shares with it).
    const head = (await tokens()).subarray(0, header.headLength);
    const whole = new Int32Array(head.length + afterHead.length);
    whole.set(head);
    whole.set(afterHead, head.length);
    return { prefix: null, tail: whole, documentTokens };
  }

  // Deletes the stored prefixes made of document `id` (derived data, deleted after the document).
  removeDocument(id: string): void {
    for (const identity of list(this.root)) {
      const folder = join(this.root, identity);
      for (const file of list(folder).filter((f) => f.endsWith('.json'))) {
        let members: unknown = null;
        try {
          members = (JSON.parse(readFileSync(join(folder, file), 'utf8')) as Header).documentIds;
        } catch {
          // Unattributable: removed with any deletion.
        }
        if (!Array.isArray(members) || members.includes(id)) {
          const base = join(folder, file.slice(0, -'.json'.length));
          rmSync(`${base}.json`, { force: true });
          rmSync(`${base}.ids`, { force: true });
          for (const key of this.#memo.keys()) if (key.endsWith(`\0${basename(base)}`)) this.#memo.delete(key);
        }
      }
    }
  }

  // The model's text rules as one name: its tokenizer and template files' bytes and the prompt style. Read and
  // hashed a megabyte at a time (a Llama-3 tokenizer.json is 9 MB), so the app's event loop keeps running.
  async #identity(model: InstalledModel, stamp: string): Promise<string> {
    const files = textFiles(model);
    let identity = this.#identities.get(stamp);
    if (!identity) {
      identity = hashFiles(`${FORMAT}\0${model.promptStyle}\0`, files).catch((error: unknown) => {
        // A model folder without its tokenizer is a damaged model, as loading it says too.
        const { path, message } = error as NodeJS.ErrnoException;
        throw new QuireError('MODEL_CORRUPT', `${model.dir}: ${basename(path ?? '')} cannot be read (${message.split('\n')[0]}); install or convert the model again`);
      });
      identity.catch(() => this.#identities.delete(stamp));
      this.#identities.set(stamp, identity);
    }
    return identity;
  }

  #read(folder: string, name: string): Promise<StoredPrefix> | null {
    let header: Header;
    try {
      header = JSON.parse(readFileSync(join(folder, `${name}.json`), 'utf8')) as Header;
    } catch {
      return null;
    }
    if (header.format !== FORMAT) return null;
    const path = join(folder, `${name}.ids`);
    let loaded: Promise<Int32Array> | null = null;
    const tokens = () =>
      (loaded ??= readFile(path).then((bytes) => {
        const ids = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
        if (ids.length !== header.length || prefixKey(ids) !== header.key) throw new Error(`${path} does not hold the prefix its header names`);
        return ids;
      }));
    return Promise.resolve({ header, tokens });
  }

  async #encode(model: InstalledModel, folder: string, name: string, documents: readonly DocumentRef[]): Promise<StoredPrefix> {
    // Handing a book's text to the worker takes tens of milliseconds: a task of its own, not the caller's.
    await aroundTheLoop();
    const encoded: EncodedDocuments = await this.#text.encodeDocuments(model.dir, name, documents.map((d) => d.load()), model.promptStyle);
    const ids = new Int32Array(encoded.prefix.buffer, encoded.prefix.byteOffset, encoded.prefix.length);
    const header: Header = {
      format: FORMAT,
      documentIds: documents.map((d) => d.id),
      key: prefixKey(ids),
      length: ids.length,
      headLength: encoded.headLength,
      rest: encoded.rest,
      stable: Array.from(ids.subarray(encoded.headLength)),
    };
    try {
      await mkdir(folder, { recursive: true });
      // Tokens first, header last and each whole (renamed into place): a header is never read without its tokens.
      await atomicWrite(join(folder, `${name}.ids`), new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength));
      await atomicWrite(join(folder, `${name}.json`), JSON.stringify(header));
    } catch {
      // A cache: where it cannot be written (a full disk, a read-only folder) it lives in this process only.
    }
    return { header, tokens: async () => ids };
  }
}

const textFiles = (model: InstalledModel) => ['tokenizer.json', 'tokenizer_config.json'].map((f) => join(model.dir, f));

// What changes when the model's text rules may have: the folder, the prompt style and the files' times.
function textStamp(model: InstalledModel): string {
  return JSON.stringify([model.dir, model.promptStyle, ...textFiles(model).map((f) => statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0)]);
}

async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, path);
}

async function hashFiles(salt: string, files: string[]): Promise<string> {
  const hash = createHash('sha256').update(salt);
  for (const file of files) for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex').slice(0, 24);
}

function list(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}
