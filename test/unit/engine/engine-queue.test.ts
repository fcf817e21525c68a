import { describe, expect, it } from 'vitest';
import { EngineQueue } from '../../../electron/node/runtime/engine-queue.ts';
import { QuireError } from '../../../electron/common/errors.ts';

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
};

describe('EngineQueue', () => {
  it('runs one task at a time in arrival order, refuses past its limit, and lets a waiting client leave', async () => {
    const queue = new EngineQueue(2);
    const order: string[] = [];
    const first = gate();
    const signal = () => new AbortController().signal;
    const a = queue.run(signal(), async () => {
      order.push('a start');
      await first.opened;
      order.push('a end');
    });
    const b = queue.run(signal(), async () => void order.push('b'));
    const leaving = new AbortController();
    const c = queue.run(leaving.signal, async () => void order.push('c'));
    // One running and two waiting: a fourth is refused at once.
    await expect(queue.run(signal(), async () => undefined)).rejects.toMatchObject({ code: 'BUSY' });
    leaving.abort();
    await expect(c).rejects.toBeInstanceOf(QuireError);
    // The place c left is free again.
    const d = queue.run(signal(), async () => void order.push('d'));
    first.open();
    await Promise.all([a, b, d]);
    expect(order).toEqual(['a start', 'a end', 'b', 'd']);
  });

  it('moves on when a task fails', async () => {
    const queue = new EngineQueue(1);
    const failing = queue.run(new AbortController().signal, async () => {
      throw new QuireError('INTERNAL', 'boom');
    });
    const next = queue.run(new AbortController().signal, async () => 'ran');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
  });
});
