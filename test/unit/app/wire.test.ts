import { describe, expect, it } from 'vitest';
import { decodeWire, encodeWire } from '../../../electron/common/wire.ts';

describe('browser-mode wire format', () => {
  it('round-trips byte arrays of any size and nested values', () => {
    const bytes = new Uint8Array(200_000).map((_, i) => (i * 7919) % 256);
    const text = encodeWire({ t: 'call', id: 3, name: 'library.import', payload: { name: 'a.pdf', bytes, nested: [1, 'x', null] } });
    const back = decodeWire(text);
    expect(back.t).toBe('call');
    const payload = (back as { payload: { bytes: Uint8Array; nested: unknown[] } }).payload;
    expect(payload.bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(payload.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(payload.nested).toEqual([1, 'x', null]);
  });
  it('leaves look-alike objects with other keys alone', () => {
    const back = decodeWire(encodeWire({ t: 'event', name: 'x', payload: { $bytes: 'AAE=', other: 1 } }));
    expect((back as { payload: unknown }).payload).toEqual({ $bytes: 'AAE=', other: 1 });
  });
});
