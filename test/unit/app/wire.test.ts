import { describe, expect, it, vi } from 'vitest';
import { calls } from '../../../electron/common/contract.ts';
import { nestsWithin, JsonBounds } from '../../../electron/common/json-bounds.ts';
import { decodeWire, encodeCall, encodeWire, INLINE_BYTES_LIMIT, MAX_FRAME_BYTES, withFilesRead } from '../../../electron/common/wire.ts';

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
      sent.set(`up${sent.size}`, bytes as Uint8Array);
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
  // Issue 25 point 5: a dropped file, however small, is handed to the upload as it is (for the browser to stream
  // from the disk), never read by the page; Electron's transport reads it into bytes.
  it('sends a file beside the frame unread, and reads it only for a transport that carries bytes', async () => {
    const file = new File(['the whole ledger'], 'ledger.txt');
    const reads = (['arrayBuffer', 'bytes', 'stream', 'text', 'slice'] as const).map((method) => vi.spyOn(file, method));
    const bodies: unknown[] = [];
    const frame = await encodeCall({ id: 1, name: 'library.import', payload: { name: 'ledger.txt', bytes: file } }, async (body) => {
      bodies.push(body);
      return 'up0';
    });
    expect(bodies).toEqual([file]);
    expect(bodies[0]).toBe(file);
    for (const read of reads) expect(read).not.toHaveBeenCalled();
    expect(JSON.parse(frame).payload.bytes).toEqual({ $upload: 'up0' });
    expect(() => encodeWire({ t: 'call', id: 1, name: 'library.import', payload: { bytes: file } })).toThrow(/beside the frame/);
    const read = (await withFilesRead({ name: 'ledger.txt', bytes: file, list: [file] })) as { bytes: Uint8Array; list: Uint8Array[] };
    expect(new TextDecoder().decode(read.bytes)).toBe('the whole ledger');
    expect(read.list[0]).toEqual(read.bytes);
  });
  it('lets the page hand library.import a file, and the backend only bytes', () => {
    const input = calls['library.import'].input;
    expect(input.parse({ name: 'a.txt', bytes: new Uint8Array([1]) }).bytes).toEqual(new Uint8Array([1]));
    expect(input.safeParse({ name: 'a.txt', bytes: new Blob(['x']) }).error?.issues[0].message).toBe('a file reaches Quire as its bytes');
    expect(input.safeParse({ name: 'a.txt', bytes: 'x' }).success).toBe(false);
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
