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

  it('lets a running caller hear of a waiter and pass its turn: the waiters run in arrival order, then it continues', async () => {
    const queue = new EngineQueue(2);
    const order: string[] = [];
    const signal = () => new AbortController().signal;
    const contested = gate();
    const long = queue.run(signal(), async (turn) => {
      order.push('long starts');
      turn.onContested(contested.open);
      await contested.opened;
      // Both waiters arrive before the long one passes; it goes behind them and is never refused as BUSY,
      // although the queue's two places are taken.
      await new Promise((resolve) => setTimeout(resolve, 10));
      await turn.pass();
      order.push('long continues');
    });
    const a = queue.run(signal(), async () => void order.push('a'));
    const b = queue.run(signal(), async () => void order.push('b'));
    // A third caller is refused: one running (passing or not) and two waiting is the limit.
    await expect(queue.run(signal(), async () => undefined)).rejects.toMatchObject({ code: 'BUSY' });
    await Promise.all([long, a, b]);
    expect(order).toEqual(['long starts', 'a', 'b', 'long continues']);
  });

  it('passes to nobody when nobody waits, and a caller that leaves while it waits after passing frees the engine', async () => {
    const queue = new EngineQueue(2);
    const leaving = new AbortController();
    const order: string[] = [];
    await queue.run(new AbortController().signal, async (turn) => {
      await turn.pass();
      order.push('alone');
    });
    const waiterStarted = gate();
    const passer = queue.run(leaving.signal, async (turn) => {
      turn.onContested(() => undefined);
      const waiter = queue.run(new AbortController().signal, async () => {
        order.push('waiter');
        waiterStarted.open();
        await new Promise((resolve) => setTimeout(resolve, 20));
      });
      const back = turn.pass();
      await waiterStarted.opened;
      leaving.abort();
      await expect(back).rejects.toMatchObject({ code: 'CANCELLED' });
      await waiter;
      order.push('passer gave up');
    });
    await passer;
    // The engine is free: the next caller starts at once, alone.
    await queue.run(new AbortController().signal, async () => void order.push('next'));
    expect(order).toEqual(['alone', 'waiter', 'passer gave up', 'next']);
  });
});
