import { availableParallelism } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { intraOpThreads, INTRA_OP_THREADS_ENV } from '../../../electron/node/engine/backend.ts';
import { nativeSessionOptions } from '../../../electron/node/engine/native-backend.ts';
import { ortNodeSessionOptions } from '../../../electron/node/engine/ort-node-backend.ts';

describe('intra-op threads and spinning', () => {
  it('default to every core this process may use, on both engine paths', () => {
    vi.stubEnv(INTRA_OP_THREADS_ENV, '');
    expect(nativeSessionOptions({ provider: 'cpu' }).intraOpThreads).toBe(availableParallelism());
    expect(ortNodeSessionOptions({ provider: 'cpu' }).intraOpNumThreads).toBe(availableParallelism());
    vi.unstubAllEnvs();
  });

  it('take the environment variable over the default, and the load option over both', () => {
    vi.stubEnv(INTRA_OP_THREADS_ENV, '7');
    expect(nativeSessionOptions({ provider: 'webgpu', providerOptions: { a: 'b' } })).toEqual({
      provider: 'webgpu',
      providerOptions: { a: 'b' },
      intraOpThreads: 7,
      sessionConfig: { 'session.intra_op.allow_spinning': '0' },
    });
    expect(ortNodeSessionOptions({ provider: 'cpu' }).intraOpNumThreads).toBe(7);
    expect(nativeSessionOptions({ provider: 'cpu', intraOpThreads: 3 }).intraOpThreads).toBe(3);
    expect(ortNodeSessionOptions({ provider: 'cpu', intraOpThreads: 3 }).intraOpNumThreads).toBe(3);
    vi.unstubAllEnvs();
  });

  it('wait without spinning on both paths, unless a session config asks for it', () => {
    expect(ortNodeSessionOptions({ provider: 'cpu' }).extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
    expect(nativeSessionOptions({ provider: 'cpu', sessionConfig: { other: 'x' } }).sessionConfig).toEqual({ 'session.intra_op.allow_spinning': '0', other: 'x' });
    expect(nativeSessionOptions({ provider: 'cpu', sessionConfig: { 'session.intra_op.allow_spinning': '1' } }).sessionConfig).toEqual({ 'session.intra_op.allow_spinning': '1' });
  });

  it('refuse a malformed environment value in one line', () => {
    for (const bad of ['0', '-2', 'two', '1.5']) {
      expect(() => intraOpThreads(undefined, { [INTRA_OP_THREADS_ENV]: bad })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: `${INTRA_OP_THREADS_ENV} wants a positive integer, got "${bad}"` }));
    }
  });
});
