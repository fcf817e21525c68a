import { describe, expect, it } from 'vitest';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../../../electron/common/contract.ts';
import { createBridge } from '../../../electron/preload/bridge.ts';

function fakeIpc() {
  const invoked: unknown[][] = [];
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  return {
    invoked,
    listeners,
    invoke: async (...args: unknown[]) => {
      invoked.push(args);
      return { ok: true, value: 'answer' };
    },
    on: (channel: string, listener: (...args: unknown[]) => void) => {
      listeners.set(channel, (listeners.get(channel) ?? new Set()).add(listener));
    },
    removeListener: (channel: string, listener: (...args: unknown[]) => void) => void listeners.get(channel)?.delete(listener),
  };
}

describe('preload bridge', () => {
  it('exposes only call and on, frozen', () => {
    const bridge = createBridge(fakeIpc());
    expect(Object.keys(bridge).sort()).toEqual(['call', 'on']);
    expect(Object.isFrozen(bridge)).toBe(true);
  });

  it('forwards declared calls on the one call channel and refuses others', async () => {
    const ipc = fakeIpc();
    const bridge = createBridge(ipc);
    await expect(bridge.call('settings.get', {})).resolves.toEqual({ ok: true, value: 'answer' });
    expect(ipc.invoked).toEqual([[IPC_CALL_CHANNEL, 'settings.get', {}]]);
    const refused = await bridge.call('fs.writeFile', { path: '/etc/passwd' });
    expect(refused.ok).toBe(false);
    expect(ipc.invoked).toHaveLength(1);
  });

  it('hands listeners the payload only, for their event only, and unsubscribes', () => {
    const ipc = fakeIpc();
    const bridge = createBridge(ipc);
    const seen: unknown[][] = [];
    const off = bridge.on('library.changed', (...args) => seen.push(args));
    const [wrapped] = ipc.listeners.get(IPC_EVENT_CHANNEL)!;
    const senderEvent = { sender: { send() {} } };
    wrapped(senderEvent, 'settings.changed', { theme: 'dark' });
    wrapped(senderEvent, 'library.changed', {});
    expect(seen).toEqual([[{}]]);
    off();
    expect(ipc.listeners.get(IPC_EVENT_CHANNEL)!.size).toBe(0);
    expect(bridge.on('not.an.event', () => undefined)).toBeTypeOf('function');
    expect(ipc.listeners.get(IPC_EVENT_CHANNEL)!.size).toBe(0);
  });
});
