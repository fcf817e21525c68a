import { describe, expect, it } from 'vitest';
import { nestsWithin, JsonBounds } from '../../../electron/common/json-bounds.ts';
import { decodeWire, encodeCall, encodeWire, INLINE_BYTES_LIMIT, MAX_FRAME_BYTES } from '../../../electron/common/wire.ts';

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
  it('sends large byte arrays beside the frame and small ones inside it', async () => {
    const big = new Uint8Array(INLINE_BYTES_LIMIT + 1).fill(7);
    const small = new Uint8Array(16).fill(3);
    const sent = new Map<string, Uint8Array>();
    const frame = await encodeCall({ id: 1, name: 'library.import', payload: { name: 'a.txt', bytes: big, nested: { small } } }, async (bytes) => {
      sent.set(`up${sent.size}`, bytes);
      return `up${sent.size - 1}`;
    });
    expect([...sent.values()]).toEqual([big]);
    expect(frame.length).toBeLessThan(1000);
    const back = decodeWire(frame, (id) => sent.get(id)) as { payload: { bytes: Uint8Array; nested: { small: Uint8Array } } };
    expect(back.payload.bytes).toBe(big);
    expect(back.payload.nested.small).toEqual(small);
    // An id the server does not hold stays a plain object, which the contract refuses as not bytes.
    expect((decodeWire(frame) as { payload: { bytes: unknown } }).payload.bytes).toEqual({ $upload: 'up0' });
  });
  it('fits the largest legitimate call in a frame: a 20,000-character question of escapes, inline bytes at the limit', async () => {
    const question = '\u0001'.repeat(20_000);
    const ask = await encodeCall({ id: 2 ** 53 - 1, name: 'chat.ask', payload: { conversationId: 'c'.repeat(64), question, replaceFrom: 'm'.repeat(64) } }, async () => 'never');
    const inline = await encodeCall({ id: 1, name: 'library.import', payload: { name: 'n'.repeat(255), bytes: new Uint8Array(INLINE_BYTES_LIMIT) } }, async () => 'never');
    expect(Math.max(ask.length, inline.length)).toBeGreaterThan(100_000);
    expect(Math.max(ask.length, inline.length)).toBeLessThan(MAX_FRAME_BYTES);
  });
});

describe('JSON nesting bound', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  it('counts arrays and objects, not brackets inside strings or after escaped quotes', () => {
    expect(nestsWithin(bytes('[[{"a":[1]}]]'), 4)).toBe(true);
    expect(nestsWithin(bytes('[[{"a":[[1]]}]]'), 4)).toBe(false);
    expect(nestsWithin(bytes('["[[[[[[", "\\"]'), 1)).toBe(true);
    expect(nestsWithin(bytes('["\\" [[[[ "]'), 1)).toBe(true);
    expect(nestsWithin(bytes('["\\\\", [[1]]]'), 2)).toBe(false);
  });
  it('bounds the items a text lists, commas inside strings not counted', () => {
    const bounds = new JsonBounds(4, 3);
    expect(bounds.feed(new TextEncoder().encode('{"a":"x,y,z,w","b":[1,2'))).toBe(true);
    expect(bounds.feed(new TextEncoder().encode(',3]'))).toBe(true);
    expect(bounds.feed(new TextEncoder().encode(',"c"'))).toBe(false);
    expect(bounds.exceeded).toBe('items');
  });
  it('keeps its place across pieces split inside a string and an escape', () => {
    const guard = new JsonBounds(2);
    for (const piece of ['[{"x":"a\\', '"[[[[', '"}', ',[', '[']) expect(guard.feed(bytes(piece)), piece).toBe(piece !== '[');
  });
});
