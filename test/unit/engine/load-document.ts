import type { EngineHost } from '../../../electron/node/runtime/engine-host.ts';
import type { CallListeners } from '../../../electron/node/runtime/engine-host.ts';
import type { DocumentSource } from '../../../electron/node/engine/engine-session.ts';

// A document's prefix into an engine process's cache as a question's answer call brings it (live cache, the
// snapshot at `snapshot`, else prefill and save there), with no question after it: what the snapshot tests check.
export async function loadDocument(host: EngineHost, params: { tokens: number[]; snapshot: string; chunk?: number }, listeners: CallListeners = {}): Promise<DocumentSource> {
  const { tokens, snapshot, chunk } = params;
  const result = await host.call(
    'answer',
    {
      prefix: { key: snapshot, length: tokens.length, tokens: Int32Array.from(tokens) },
      tail: new Int32Array(0),
      restore: snapshot,
      save: { path: snapshot, length: tokens.length, minPrefilled: 1 },
      checkpoints: null,
      maxNewTokens: 0,
      ...(chunk ? { chunk } : {}),
    },
    listeners,
  );
  if (result === 'prefix-not-held') throw new Error('the engine did not take the prefix');
  return result.source;
}
