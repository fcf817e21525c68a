// What a failed network request means, in words, from the codes along the error's cause chain (fetch throws
// "fetch failed" with the socket's code underneath): for the hub downloads and the remote engines alike.
export const NETWORK_WORDS: Record<string, string> = {
  ENOTFOUND: 'no such host: the name does not resolve (is this computer offline?)',
  EAI_AGAIN: 'the host name could not be looked up (no network or DNS)',
  ECONNREFUSED: 'nothing is listening there (connection refused)',
  ECONNRESET: 'the connection was dropped',
  EPIPE: 'the connection was dropped',
  UND_ERR_SOCKET: 'the connection was dropped',
  EHOSTUNREACH: 'the host cannot be reached from this network',
  ENETUNREACH: 'the network is unreachable (is this computer offline?)',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
};

// The codes and messages along an error's cause chain, outermost first.
export function causeChain(error: unknown): { codes: string[]; texts: string[] } {
  const codes: string[] = [];
  const texts: string[] = [];
  for (let e = error as { code?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0; e && depth < 6; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string') codes.push(e.code);
    if (typeof e.message === 'string') texts.push(e.message);
  }
  return { codes, texts };
}

// The words for the first known code, else the innermost message.
export function networkWords(error: unknown): string {
  const { codes, texts } = causeChain(error);
  const known = codes.find((c) => NETWORK_WORDS[c]);
  return known ? NETWORK_WORDS[known] : (texts.at(-1) ?? String(error));
}
