// The texts of the documents read last, so that the viewer's pieces and a citation's preview (library.text, a few
// thousand characters each) do not read a 4 MB book out of SQLite per call. Each is kept with the content hash
// its row had, and used only while the row still has it: a document deleted or replaced, also by another
// process on the same database, is never served from here. Bounded in bytes; the least recently used goes first.

// A JS string takes up to two bytes a character (one where every character is Latin-1).
const bytesOf = (text: string) => 2 * text.length;

export class RecentTexts {
  readonly #budget: number;
  // Insertion order is use order: a hit is moved to the end.
  readonly #texts = new Map<string, { hash: string; text: string }>();
  #bytes = 0;

  constructor(budgetBytes: number) {
    this.#budget = budgetBytes;
  }

  get(id: string, hash: string): string | undefined {
    const entry = this.#texts.get(id);
    if (!entry) return undefined;
    this.delete(id);
    if (entry.hash !== hash) return undefined;
    this.#add(id, entry);
    return entry.text;
  }

  set(id: string, hash: string, text: string): void {
    this.delete(id);
    if (bytesOf(text) > this.#budget) return;
    this.#add(id, { hash, text });
    for (const [oldest] of this.#texts) {
      if (this.#bytes <= this.#budget) break;
      this.delete(oldest);
    }
  }

  delete(id: string): void {
    const entry = this.#texts.get(id);
    if (!entry) return;
    this.#texts.delete(id);
    this.#bytes -= bytesOf(entry.text);
  }

  #add(id: string, entry: { hash: string; text: string }): void {
    this.#texts.set(id, entry);
    this.#bytes += bytesOf(entry.text);
  }
}
