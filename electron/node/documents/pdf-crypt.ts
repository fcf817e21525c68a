// The PDF standard security handler (ISO 32000-2 §7.6.4), decryption only, for the bomb guard (pdf-guard.ts):
// an encrypted stream is noise to an inflater, so a flate bomb under encryption (an empty user password, which
// every reader opens without asking) went through the guard unmeasured and pdf.js inflated it whole. With the
// key derived here the guard decrypts each stream and counts what it inflates to like any other. RC4 (revisions
// 2–4), AES-128 (AESV2) and AES-256 (revisions 5 and 6) are covered; a file whose password is not the one given
// is left to pdf.js, which refuses it as ENCRYPTED.
import { createCipheriv, createDecipheriv, createHash, type BinaryLike } from 'node:crypto';

// Decrypts one stream's bytes given its object number and generation; undefined where the bytes do not decrypt
// (damaged, or not encrypted after all).
export type StreamDecryptor = (objectNumber: number, generation: number, data: Uint8Array) => Uint8Array | undefined;

const PADDING = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');

const hash = (algorithm: string, ...parts: BinaryLike[]) => {
  const h = createHash(algorithm);
  for (const p of parts) h.update(p);
  return h.digest();
};

// RC4 is gone from OpenSSL 3's default provider, so it is written out (it is a dozen lines).
export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  const s = new Uint8Array(256).map((_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i] + key[i % key.length]) & 255;
    [s[i], s[j]] = [s[j], s[i]];
  }
  const out = Buffer.alloc(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 255;
    j = (j + s[i]) & 255;
    [s[i], s[j]] = [s[j], s[i]];
    out[n] = data[n] ^ s[(s[i] + s[j]) & 255];
  }
  return out;
}

// AES-CBC with the IV in the first 16 bytes and PKCS#7 padding, as PDF writes it.
function aesDecrypt(key: Uint8Array, data: Uint8Array): Buffer | undefined {
  if (data.length < 32 || data.length % 16) return undefined;
  try {
    const decipher = createDecipheriv(key.length === 32 ? 'aes-256-cbc' : 'aes-128-cbc', key, data.subarray(0, 16));
    return Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]);
  } catch {
    return undefined;
  }
}

// A PDF string object at `at` (a literal in parentheses, with its escapes, or hex in angle brackets) as bytes.
function pdfString(text: string, at: number): Buffer | undefined {
  if (text[at] === '<') {
    const end = text.indexOf('>', at);
    return end < 0 ? undefined : Buffer.from(text.slice(at + 1, end).replace(/\s+/g, ''), 'hex');
  }
  if (text[at] !== '(') return undefined;
  const out: number[] = [];
  const escapes: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, f: 12 };
  for (let i = at + 1, depth = 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      const next = text[++i];
      const octal = /^[0-7]{1,3}/.exec(text.slice(i, i + 3));
      if (octal) {
        out.push(parseInt(octal[0], 8) & 255);
        i += octal[0].length - 1;
      } else if (next === '\r' || next === '\n') {
        if (next === '\r' && text[i + 1] === '\n') i++;
      } else out.push(escapes[next] ?? next.charCodeAt(0));
      continue;
    }
    if (c === '(') depth++;
    if (c === ')' && --depth === 0) return Buffer.from(out);
    out.push(c.charCodeAt(0));
  }
  return undefined;
}

function entry(dict: string, key: string): string | undefined {
  return new RegExp(`/${key}(?![A-Za-z0-9])\\s*(/[A-Za-z0-9]+|-?\\d+|true|false)`).exec(dict)?.[1];
}

function stringEntry(dict: string, key: string): Buffer | undefined {
  const m = new RegExp(`/${key}(?![A-Za-z0-9])\\s*([(<])`).exec(dict);
  return m ? pdfString(dict, m.index + m[0].length - 1) : undefined;
}

// The dictionary starting at `at` ("<<"), nested ones included.
function dictionaryAt(text: string, at: number): string {
  let depth = 0;
  for (let i = at; i < text.length - 1; i++) {
    if (text[i] === '(') {
      // Skip a literal string: its brackets are not the dictionary's.
      for (let d = 1, j = i + 1; j < text.length; j++) {
        if (text[j] === '\\') j++;
        else if (text[j] === '(') d++;
        else if (text[j] === ')' && --d === 0) {
          i = j;
          break;
        }
      }
    } else if (text[i] === '<' && text[i + 1] === '<') {
      depth++;
      i++;
    } else if (text[i] === '>' && text[i + 1] === '>') {
      depth--;
      i++;
      if (depth === 0) return text.slice(at, i + 1);
    }
  }
  return text.slice(at);
}

// The file's encryption dictionary (the trailer's /Encrypt, the last one written), or undefined.
function encryptDictionary(text: string): string | undefined {
  const refs = [...text.matchAll(/\/Encrypt\s*(?:(\d+)\s+(\d+)\s+R|<<)/g)];
  const last = refs[refs.length - 1];
  if (!last) return undefined;
  if (last[1] === undefined) return dictionaryAt(text, last.index + last[0].length - 2);
  const objects = [...text.matchAll(new RegExp(`(?<![0-9])${last[1]}\\s+${last[2]}\\s+obj\\s*<<`, 'g'))];
  const object = objects[objects.length - 1];
  return object ? dictionaryAt(text, object.index + object[0].length - 2) : undefined;
}

// Revision 6's password hash (algorithm 2.B): SHA-256, then rounds of AES-128 over the password and the hash
// choosing SHA-256, -384 or -512 by the output, at least 64 rounds (the user's hash has no extra data).
function hash2B(password: Buffer, salt: Buffer): Buffer {
  let k = hash('sha256', password, salt);
  let e = Buffer.alloc(0);
  for (let round = 0; round < 64 || e[e.length - 1] > round - 32; round++) {
    const block = Buffer.concat([password, k]);
    const cipher = createCipheriv('aes-128-cbc', k.subarray(0, 16), k.subarray(16, 32)).setAutoPadding(false);
    e = Buffer.concat([cipher.update(Buffer.concat(Array.from({ length: 64 }, () => block))), cipher.final()]);
    let sum = 0;
    for (let i = 0; i < 16; i++) sum += e[i];
    k = hash(['sha256', 'sha384', 'sha512'][sum % 3], e);
  }
  return k.subarray(0, 32);
}

// Revisions 5 and 6: the file key is UE decrypted with a hash of the password and U's key salt, once U's
// validation salt shows the password is the user's.
function aes256Key(dict: string, password: Buffer, revision: number): Buffer | undefined {
  const u = stringEntry(dict, 'U');
  const ue = stringEntry(dict, 'UE');
  if (!u || u.length < 48 || !ue || ue.length < 32) return undefined;
  const pw = password.subarray(0, 127);
  const digest = (salt: Buffer) => (revision >= 6 ? hash2B(pw, salt) : hash('sha256', pw, salt));
  if (!digest(u.subarray(32, 40)).equals(u.subarray(0, 32))) return undefined;
  const decipher = createDecipheriv('aes-256-cbc', digest(u.subarray(40, 48)), Buffer.alloc(16)).setAutoPadding(false);
  return Buffer.concat([decipher.update(ue.subarray(0, 32)), decipher.final()]);
}

// Revisions 2 to 4: MD5 over the padded password, O, P, the file's first ID (and, at revision 4 with metadata
// left clear, four 0xFF bytes), stretched 50 times from revision 3; checked against U.
function md5Key(dict: string, text: string, password: Buffer, revision: number): Buffer | undefined {
  const o = stringEntry(dict, 'O');
  const u = stringEntry(dict, 'U');
  const p = Number(entry(dict, 'P'));
  if (!o || !u || !Number.isFinite(p)) return undefined;
  const n = revision === 2 ? 5 : Math.min(16, Math.max(5, Number(entry(dict, 'Length') ?? 40) / 8));
  const idAt = /\/ID\s*\[\s*([(<])/.exec(text.slice(text.lastIndexOf('/ID')));
  const id = idAt ? (pdfString(text, text.lastIndexOf('/ID') + idAt.index + idAt[0].length - 1) ?? Buffer.alloc(0)) : Buffer.alloc(0);
  const pBytes = Buffer.alloc(4);
  pBytes.writeInt32LE(p | 0);
  const clearMetadata = revision >= 4 && entry(dict, 'EncryptMetadata') === 'false' ? Buffer.from([255, 255, 255, 255]) : Buffer.alloc(0);
  let key = hash('md5', Buffer.concat([password, PADDING]).subarray(0, 32), o.subarray(0, 32), pBytes, id, clearMetadata);
  if (revision >= 3) for (let i = 0; i < 50; i++) key = hash('md5', key.subarray(0, n));
  key = key.subarray(0, n);
  const check =
    revision === 2
      ? rc4(key, PADDING).equals(u.subarray(0, 32))
      : (() => {
          let x = rc4(key, hash('md5', PADDING, id));
          for (let i = 1; i <= 19; i++) x = rc4(key.map((b) => b ^ i), x);
          return x.equals(u.subarray(0, 16));
        })();
  return check ? key : undefined;
}

// The decryptor for the file's streams with `password` (the empty user password unless given): undefined for
// a file that is not encrypted, null for one this key does not open (another password, another handler).
export function streamDecryptor(bytes: Uint8Array, password = ''): StreamDecryptor | null | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const full = encryptDictionary(text);
  if (!full) return undefined;
  // The crypt filters (/CF) have keys of their own (/Length in bytes): the top level is read without them.
  const cfAt = /\/CF\s*<</.exec(full);
  const filters = cfAt ? dictionaryAt(full, cfAt.index + cfAt[0].length - 2) : '';
  const dict = filters ? full.replace(filters, '') : full;
  if (entry(dict, 'Filter') !== '/Standard') return null;
  const revision = Number(entry(dict, 'R'));
  const version = Number(entry(dict, 'V'));
  // The stream crypt filter's method: V4 and V5 name it in /CF; Identity leaves streams clear.
  const streamFilter = entry(dict, 'StmF')?.slice(1) ?? 'Identity';
  const filterDict = version >= 4 ? new RegExp(`/${streamFilter}\\s*<<([^>]*)>>`).exec(filters)?.[1] ?? '' : '';
  const method = version >= 4 ? (streamFilter === 'Identity' ? 'None' : (entry(filterDict, 'CFM')?.slice(1) ?? 'None')) : 'V2';
  if (method === 'None') return (_n, _g, data) => data;
  const utf8 = Buffer.from(password, 'utf8');
  if (revision >= 5) {
    const key = aes256Key(dict, utf8, revision);
    return key ? (_n, _g, data) => aesDecrypt(key, data) : null;
  }
  const key = md5Key(dict, text, Buffer.from(password, 'latin1'), revision);
  if (!key) return null;
  const aes = method === 'AESV2';
  return (objectNumber, generation, data) => {
    const salt = Buffer.from([objectNumber & 255, (objectNumber >> 8) & 255, (objectNumber >> 16) & 255, generation & 255, (generation >> 8) & 255]);
    const objectKey = hash('md5', key, salt, aes ? Buffer.from('sAlT') : Buffer.alloc(0)).subarray(0, Math.min(key.length + 5, 16));
    return aes ? aesDecrypt(objectKey, data) : rc4(objectKey, data);
  };
}
