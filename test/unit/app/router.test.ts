import { describe, expect, it } from 'vitest';
import { QuireError } from '../../../electron/common/errors.ts';
import { CALL_NAMES } from '../../../electron/common/contract.ts';
import { createRouter, type Handlers } from '../../../electron/node/router.ts';
import { DEFAULT_SETTINGS } from '../../../electron/node/settings.ts';

function handlers(overrides: Partial<Handlers> = {}): Handlers {
  const unused = () => {
    throw new Error('not called in this test');
  };
  const base = Object.fromEntries(CALL_NAMES.map((name) => [name, unused])) as unknown as Handlers;
  return { ...base, ...overrides };
}

describe('router', () => {
  it('runs a declared call with validated input', async () => {
    let seen: unknown;
    const route = createRouter(handlers({ 'settings.update': (patch) => ((seen = patch), { ...DEFAULT_SETTINGS, ...patch }) }));
    const outcome = await route('settings.update', { theme: 'dark' });
    expect(outcome).toEqual({ ok: true, value: { ...DEFAULT_SETTINGS, theme: 'dark' } });
    expect(seen).toEqual({ theme: 'dark' });
  });

  it('refuses undeclared calls, including prototype names', async () => {
    const route = createRouter(handlers());
    for (const name of ['fs.readFile', '__proto__', 'constructor', 'toString', 42, null]) {
      const outcome = await route(name, {});
      expect(outcome).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
  });

  it('refuses payloads that break the schema without calling the handler', async () => {
    let called = false;
    const route = createRouter(handlers({ 'settings.update': () => ((called = true), DEFAULT_SETTINGS) }));
    for (const payload of [{ theme: 'neon' }, { contextTokens: -5 }, { extra: 1 }, 'string', [1]]) {
      const outcome = await route('settings.update', payload);
      expect(outcome).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    }
    expect(called).toBe(false);
  });

  it('passes QuireError codes through and hides other errors behind INTERNAL, one line', async () => {
    const route = createRouter(
      handlers({
        'library.delete': () => {
          throw new QuireError('NOT_FOUND', 'no document with id x');
        },
        'library.list': () => {
          throw new TypeError('boom\n    at secret/path.ts:1:1');
        },
      }),
    );
    expect(await route('library.delete', { id: 'x' })).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'no document with id x' } });
    expect(await route('library.list', {})).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'boom' } });
  });

  it('refuses handler output that drifts from the contract', async () => {
    const route = createRouter(handlers({ 'settings.get': () => ({ theme: 'neon' }) as never }));
    expect(await route('settings.get', {})).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });
});
