// Every refusal the user can see carries one of these stable codes; the CLI prints `quire: CODE: reason`
// and the UI shows the reason. Codes are part of the contract: add, never rename.
export const ERROR_CODES = [
  'USAGE',
  'NOT_FOUND',
  'INVALID_INPUT',
  'INTERNAL',
  'FORBIDDEN',
  'ELECTRON_UNAVAILABLE',
  'NODE_VERSION',
  // documents
  'UNSUPPORTED_FORMAT',
  'EMPTY',
  'CORRUPT',
  'ENCRYPTED',
  'SCANNED',
  'TOO_LARGE',
  'LIMIT_EXCEEDED',
  'TIMEOUT',
  // models and engine
  'UNSUPPORTED_MODEL',
  'MISSING_TENSOR',
  'CHECKSUM_MISMATCH',
  'DOWNLOAD_FAILED',
  'DOES_NOT_FIT',
  'CANCELLED',
  'BUSY',
  'SNAPSHOT_MISMATCH',
  // quire.json or the weights of a converted model are damaged
  'MODEL_CORRUPT',
  // the browser mode lost its connection to quire serve
  'DISCONNECTED',
  // a GPU provider's canary logits differ from the cpu path's: its answers would be wrong
  'PROVIDER_CHECK_FAILED',
  // the disk (or a file-size limit) refused a write: nothing of that operation was stored
  'DISK_FULL',
  // the app database failed its check: it is open read-only (what could be read), nothing new is saved
  'DATABASE_DAMAGED',
  // a remote engine (an OpenAI-compatible server such as vLLM): could not be reached, refused the key, does
  // not serve the model, cannot take the prompt, failed with its own message, presented a bad TLS
  // certificate, did not answer in time, or is plain http to another machine without the user's consent
  'REMOTE_UNREACHABLE',
  'REMOTE_UNAUTHORIZED',
  'REMOTE_MODEL_MISSING',
  'REMOTE_CONTEXT_EXCEEDED',
  'REMOTE_SERVER_ERROR',
  'REMOTE_TLS',
  'REMOTE_TIMEOUT',
  'REMOTE_INSECURE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class QuireError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'QuireError';
  }
}

export interface ErrorEnvelope {
  code: ErrorCode;
  message: string;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

// Errors cross IPC, WebSocket and worker boundaries as plain objects; anything that is not a QuireError
// becomes INTERNAL with its message only (no stack, no paths from deep inside a library).
export function toEnvelope(error: unknown): ErrorEnvelope {
  if (error instanceof QuireError) return { code: error.code, message: error.message };
  const full = diskFullReason(error);
  if (full) return { code: 'DISK_FULL', message: full };
  const damaged = databaseDamageReason(error);
  if (damaged) return { code: 'DATABASE_DAMAGED', message: damaged };
  if (error && typeof error === 'object' && isErrorCode((error as { code?: unknown }).code)) {
    const e = error as { code: ErrorCode; message?: unknown };
    return { code: e.code, message: String(e.message ?? e.code) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: message.split('\n')[0] || 'internal error' };
}

export function fromEnvelope(envelope: ErrorEnvelope): QuireError {
  return new QuireError(envelope.code, envelope.message);
}

// One line, whatever the message holds: multi-line library messages are cut at the first line.
export function formatCliError(error: unknown): string {
  const { code, message } = toEnvelope(error);
  return `quire: ${code}: ${message.split('\n')[0]}`;
}

// SQLite result codes that mean a write was refused for lack of room (node:sqlite puts the extended code in
// `errcode`): SQLITE_FULL (ENOSPC, or a short write under a file-size limit), SQLITE_IOERR_WRITE (a write that
// failed outright: EFBIG at the limit, ENOSPC on some file systems; a failing drive too, but the user's remedy
// is the same: free space or move the data) and SQLITE_IOERR_SHMSIZE (the WAL index could not grow).
const SQLITE_FULL = 13;
const SQLITE_IOERR_WRITE = 778;
const SQLITE_IOERR_SHMSIZE = 4874;

// Why a write failed for lack of space, in words, or undefined when `error` is something else. Any runtime:
// it reads only the properties Node's fs and node:sqlite errors carry.
export function diskFullReason(error: unknown): string | undefined {
  if (error instanceof QuireError) return error.code === 'DISK_FULL' ? error.message : undefined;
  if (!error || typeof error !== 'object') return undefined;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'the disk is full (no space left on the device); nothing was saved, free some space and try again';
  if (code === 'EFBIG') return 'a file size limit was reached (EFBIG); nothing was saved';
  if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number' && ((errcode & 0xff) === SQLITE_FULL || errcode === SQLITE_IOERR_WRITE || errcode === SQLITE_IOERR_SHMSIZE)) {
    return 'the disk is full: the database could not be written; nothing was saved, free some space and try again';
  }
  return undefined;
}

// SQLite result codes of a damaged database (SQLITE_CORRUPT, SQLITE_NOTADB) or of one Quire opened read-only
// because it is damaged (SQLITE_READONLY), by their primary code.
const SQLITE_READONLY = 8;
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

export function databaseDamageReason(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  if (code !== 'ERR_SQLITE_ERROR' || typeof errcode !== 'number') return undefined;
  const primary = errcode & 0xff;
  if (primary === SQLITE_READONLY) return "Quire's database is damaged and open read-only: nothing was saved (see the message at start: quire db salvage or quire db restore, then start Quire again)";
  if (primary === SQLITE_CORRUPT || primary === SQLITE_NOTADB) return "Quire's database is damaged (SQLite: database disk image is malformed); start Quire again to check it and to be offered its backup or a salvage";
  return undefined;
}

export function isDiskFull(error: unknown): boolean {
  return diskFullReason(error) !== undefined;
}
