import { Inflate } from 'fflate';
import { QuireError } from '../../common/errors.ts';
import {
  MAX_ZIP_ENTRIES,
  MAX_ZIP_ENTRY_BYTES,
  MAX_ZIP_RATIO,
  MAX_ZIP_TOTAL_BYTES,
  ZIP_RATIO_GRACE_BYTES,
} from './limits.ts';

interface Entry {
  name: string;
  method: number;
  encrypted: boolean;
  symlink: boolean;
  compressedSize: number;
  size: number;
  headerOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
// Inflating in small slices bounds what one push can produce (deflate tops out near 1032:1) before the
// counters see it.
const INFLATE_SLICE = 16 * 1024;

const utf8 = new TextDecoder('utf-8');

// Names a careless extractor would write outside its folder. Nothing here is extracted to disk, but an archive
// carrying them is hostile or broken either way (the rule yauzl applies by default).
function unsafeName(name: string): boolean {
  return name.includes('\\') || name.includes('\0') || name.startsWith('/') || /^[a-zA-Z]:/.test(name) || name.split('/').includes('..');
}

// A zip archive read from memory through its central directory. Entries inflate only on request, with every
// byte counted as it streams out: per-entry, per-archive and ratio caps apply to what really inflates, not to
// the sizes the headers claim.
export class ZipArchive {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly entries = new Map<string, Entry>();
  private inflatedTotal = 0;
  readonly label: string;

  constructor(bytes: Uint8Array, label: string) {
    this.bytes = bytes;
    this.label = label;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.readDirectory();
  }

  private corrupt(reason: string): QuireError {
    return new QuireError('CORRUPT', `${this.label}: ${reason}`);
  }

  private u16(at: number): number {
    if (at + 2 > this.bytes.length) throw this.corrupt('the zip structure is truncated');
    return this.view.getUint16(at, true);
  }

  private u32(at: number): number {
    if (at + 4 > this.bytes.length) throw this.corrupt('the zip structure is truncated');
    return this.view.getUint32(at, true);
  }

  private readDirectory(): void {
    const end = this.bytes.length;
    let eocd = -1;
    for (let at = end - 22; at >= Math.max(0, end - 22 - 0xffff); at--) {
      if (this.view.getUint32(at, true) === EOCD_SIGNATURE) {
        eocd = at;
        break;
      }
    }
    if (eocd < 0) throw this.corrupt('not a zip archive or truncated (no end of central directory)');
    const count = this.u16(eocd + 10);
    const directoryOffset = this.u32(eocd + 16);
    if (count === 0xffff || directoryOffset === 0xffffffff) {
      throw new QuireError('UNSUPPORTED_FORMAT', `${this.label}: ZIP64 archives are not supported`);
    }
    if (count > MAX_ZIP_ENTRIES) {
      throw new QuireError('LIMIT_EXCEEDED', `${this.label}: ${count} zip entries (the limit is ${MAX_ZIP_ENTRIES})`);
    }
    let at = directoryOffset;
    for (let i = 0; i < count; i++) {
      if (this.u32(at) !== CENTRAL_SIGNATURE) throw this.corrupt('damaged zip central directory');
      const madeBy = this.u16(at + 4) >> 8;
      const flags = this.u16(at + 8);
      const nameLength = this.u16(at + 28);
      const next = at + 46 + nameLength + this.u16(at + 30) + this.u16(at + 32);
      if (next > end) throw this.corrupt('damaged zip central directory');
      const name = utf8.decode(this.bytes.subarray(at + 46, at + 46 + nameLength));
      if (unsafeName(name)) throw this.corrupt(`unsafe zip entry name "${name.slice(0, 80)}"`);
      const unixMode = this.u32(at + 38) >>> 16;
      this.entries.set(name, {
        name,
        method: this.u16(at + 10),
        encrypted: (flags & 1) === 1,
        symlink: madeBy === 3 && (unixMode & 0xf000) === 0xa000,
        compressedSize: this.u32(at + 20),
        size: this.u32(at + 24),
        headerOffset: this.u32(at + 42),
      });
      at = next;
    }
  }

  has(name: string): boolean {
    const entry = this.entries.get(name);
    return entry !== undefined && !entry.symlink;
  }

  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry || entry.symlink) throw this.corrupt(`missing entry "${name}"`);
    if (entry.encrypted) throw new QuireError('ENCRYPTED', `${this.label}: entry "${name}" is password-protected`);
    const local = entry.headerOffset;
    if (this.u32(local) !== LOCAL_SIGNATURE) throw this.corrupt(`damaged local header for "${name}"`);
    const dataStart = local + 30 + this.u16(local + 26) + this.u16(local + 28);
    const dataEnd = dataStart + entry.compressedSize;
    if (dataEnd > this.bytes.length) throw this.corrupt(`entry "${name}" is truncated`);
    const data = this.bytes.subarray(dataStart, dataEnd);
    let out: Uint8Array;
    if (entry.method === 0) {
      this.count(name, data.length, data.length);
      this.inflatedTotal += data.length;
      out = data;
    } else if (entry.method === 8) {
      out = this.inflate(name, data);
    } else {
      throw new QuireError('UNSUPPORTED_FORMAT', `${this.label}: entry "${name}" uses zip method ${entry.method}`);
    }
    if (out.length !== entry.size) throw this.corrupt(`entry "${name}" inflates to ${out.length} bytes, not the ${entry.size} declared`);
    return out;
  }

  private count(name: string, produced: number, consumed: number): void {
    if (produced > MAX_ZIP_ENTRY_BYTES) {
      throw new QuireError('LIMIT_EXCEEDED', `${this.label}: entry "${name}" inflates past ${MAX_ZIP_ENTRY_BYTES / 2 ** 20} MB`);
    }
    if (this.inflatedTotal + produced > MAX_ZIP_TOTAL_BYTES) {
      throw new QuireError('LIMIT_EXCEEDED', `${this.label}: the archive inflates past ${MAX_ZIP_TOTAL_BYTES / 2 ** 20} MB`);
    }
    if (produced > ZIP_RATIO_GRACE_BYTES && produced / Math.max(1, consumed) > MAX_ZIP_RATIO) {
      throw new QuireError('LIMIT_EXCEEDED', `${this.label}: entry "${name}" inflates more than ${MAX_ZIP_RATIO}:1 (zip bomb?)`);
    }
  }

  private inflate(name: string, data: Uint8Array): Uint8Array {
    const chunks: Uint8Array[] = [];
    let produced = 0;
    let consumed = 0;
    const inflater = new Inflate((chunk) => {
      produced += chunk.length;
      this.count(name, produced, consumed);
      chunks.push(chunk);
    });
    try {
      for (let at = 0; at < data.length || at === 0; at += INFLATE_SLICE) {
        const slice = data.subarray(at, at + INFLATE_SLICE);
        consumed += slice.length;
        inflater.push(slice, at + INFLATE_SLICE >= data.length);
      }
    } catch (error) {
      if (error instanceof QuireError) throw error;
      throw this.corrupt(`entry "${name}" does not inflate (${(error as Error).message})`);
    }
    this.inflatedTotal += produced;
    if (chunks.length === 1) return chunks[0];
    const out = new Uint8Array(produced);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

// An href inside the archive (OPF manifest, nav links, DOCX relationships) resolved against the folder of the
// part that holds it; undefined for links that leave the archive or point elsewhere.
export function resolvePart(baseDir: string, href: string): string | undefined {
  const path = href.split('#')[0];
  if (path === '' || /^[a-z][a-z0-9+.-]*:/i.test(path)) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = path;
  }
  const segments = decoded.startsWith('/') ? [] : baseDir.split('/').filter(Boolean);
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return undefined;
      segments.pop();
    } else {
      segments.push(segment);
    }
  }
  return segments.join('/');
}

export function dirOf(part: string): string {
  return part.includes('/') ? part.slice(0, part.lastIndexOf('/')) : '';
}
