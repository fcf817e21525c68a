import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuireError } from '../common/errors.ts';
import { childPath } from './paths.ts';

// Imported PDFs are kept as they came, so the document viewer can show a cited page as the page itself
// (rendered by pdf.js in the UI); other formats are fully represented by their extracted text.
const KEPT_FORMATS = new Set(['pdf']);

export class Originals {
  #dir: string;

  constructor(root: string) {
    this.#dir = join(root, 'originals');
  }

  keep(id: string, format: string, bytes: Uint8Array): void {
    if (!KEPT_FORMATS.has(format)) return;
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const target = childPath(this.#dir, id);
    // The user's own document: readable by the user alone, whatever the process umask.
    try {
      writeFileSync(`${target}.tmp`, bytes, { mode: 0o600 });
      renameSync(`${target}.tmp`, target);
    } catch (error) {
      // A write cut short by a full disk leaves no partial file to take up what little space is left.
      rmSync(`${target}.tmp`, { force: true });
      throw error;
    }
  }

  read(id: string): Uint8Array<ArrayBuffer> {
    const path = childPath(this.#dir, id);
    if (!existsSync(path)) throw new QuireError('NOT_FOUND', 'the original file of this document is not kept');
    return new Uint8Array(readFileSync(path));
  }

  remove(id: string): void {
    rmSync(childPath(this.#dir, id), { force: true });
  }
}
