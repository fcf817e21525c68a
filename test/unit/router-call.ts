import type { CallInput, CallName, CallResult } from '../../electron/common/contract.ts';
import type { AppServices } from '../../electron/node/app-services.ts';

// A call through the app's router as the renderer makes it: the typed result, or the router's error thrown
// with its stable code, for service tests to assert on.
export async function callRouter<N extends CallName>(services: Pick<AppServices, 'router'>, name: N, payload: CallInput<N>): Promise<CallResult<N>> {
  const outcome = await services.router(name, payload);
  if (!outcome.ok) throw Object.assign(new Error(outcome.error.message), { code: outcome.error.code });
  return outcome.value as CallResult<N>;
}
