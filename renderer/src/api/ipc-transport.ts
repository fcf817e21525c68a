import type { QuireBridge } from '../../../electron/common/bridge.ts';
import type { Transport } from './client.ts';

export function ipcTransport(bridge: QuireBridge): Transport {
  return { call: (name, payload) => bridge.call(name, payload), on: (event, listener) => bridge.on(event, listener) };
}
