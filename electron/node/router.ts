import { toEnvelope, QuireError } from '../common/errors.ts';
import {
  calls,
  isCallName,
  type CallName,
  type CallOutcome,
  type CallParams,
  type CallResult,
} from '../common/contract.ts';

export type Handlers = { [N in CallName]: (params: CallParams<N>) => Promise<CallResult<N>> | CallResult<N> };

// Validates the call name and payload against the contract, runs the handler, and returns an outcome
// instead of throwing, so that every transport (Electron IPC, WebSocket, tests) answers alike. Outputs are
// validated too: a handler that drifts from the contract fails loudly here, not in the renderer.
export function createRouter(handlers: Handlers) {
  return async function route(name: unknown, payload: unknown): Promise<CallOutcome> {
    try {
      if (!isCallName(name)) throw new QuireError('FORBIDDEN', `unknown call "${String(name).slice(0, 64)}"`);
      const spec = calls[name];
      const parsed = spec.input.safeParse(payload ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new QuireError('INVALID_INPUT', `${name}: ${issue.path.join('.') || 'payload'}: ${issue.message}`);
      }
      const handler = handlers[name] as (params: unknown) => unknown;
      const value = spec.output.parse(await handler(parsed.data));
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error: toEnvelope(error) };
    }
  };
}

export type Router = ReturnType<typeof createRouter>;
