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
