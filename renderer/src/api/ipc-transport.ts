import type { QuireBridge } from '../../../electron/common/bridge.ts';
import { withFilesRead } from '../../../electron/common/wire.ts';
import type { Transport } from './client.ts';

export function ipcTransport(bridge: QuireBridge): Transport {
  return { call: async (name, payload) => bridge.call(name, await withFilesRead(payload)), on: (event, listener) => bridge.on(event, listener) };
}
