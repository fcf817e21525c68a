// A hostile local process against a real `quire serve`: raw sockets that reset mid-handshake and frames that
// break the WebSocket rules. None of them may end the server, and a client that was already connected (and
// one that connects afterwards) must keep getting answers.
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stallDuring } from '../unit/stall.ts';
import { RpcClient } from './rpc-client.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

let server: ServeProcess;
let bystander: RpcClient;

beforeAll(async () => {
  server = await startServe({ QUIRE_DEFAULT_MODEL: 'none' });
  bystander = await RpcClient.open(server);
});

// Each attack is judged on its own: a server an earlier attack killed is replaced before the next one.
beforeEach(async () => {
  if (server.child.exitCode === null && server.child.signalCode === null) return;
  server = await startServe({ QUIRE_DEFAULT_MODEL: 'none' });
  bystander = await RpcClient.open(server);
});

afterAll(async () => {
  bystander?.close();
  await server?.stop();
});

// The server is alive and serving: the process has not exited, the client connected before the attack still
// gets answers, and so does a new one.
async function expectServing(): Promise<void> {
  await new Promise((r) => setTimeout(r, 150));
  expect(server.child.exitCode).toBeNull();
  expect(server.child.signalCode).toBeNull();
  expect((await bystander.call('app.info')).ok).toBe(true);
  const fresh = await RpcClient.open(server);
  expect((await fresh.call('app.info')).ok).toBe(true);
  fresh.close();
}

function rawSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(server.origin).port), '127.0.0.1', () => resolve(socket));
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

// Reads until the HTTP response head has arrived.
function responseHead(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.once('close', () => resolve(text));
  });
}

async function upgrade(token: string, host = new URL(server.origin).host): Promise<{ socket: Socket; head: string }> {
  const socket = await rawSocket();
  socket.write(
    [
      `GET /rpc?token=${token} HTTP/1.1`,
      `Host: ${host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      `Origin: ${server.origin}`,
      '',
      '',
    ].join('\r\n'),
  );
  return { socket, head: await responseHead(socket) };
}

// A client frame: FIN + opcode, the mask bit unless `unmasked`, and the length in the shortest form unless
// `claimedLength` overrides it (to claim more than is sent).
function frame(opcode: number, payload: Buffer, { rsv1 = false, unmasked = false, claimedLength }: { rsv1?: boolean; unmasked?: boolean; claimedLength?: bigint } = {}): Buffer {
  const length = claimedLength ?? BigInt(payload.length);
  let header: Buffer;
  if (length < 126n) header = Buffer.from([0, Number(length)]);
  else if (length < 65_536n) {
    header = Buffer.alloc(4);
    header.writeUInt16BE(Number(length), 2);
    header[1] = 126;
  } else {
    header = Buffer.alloc(10);
    header.writeBigUInt64BE(length, 2);
    header[1] = 127;
  }
  header[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  if (unmasked) return Buffer.concat([header, payload]);
  header[1] |= 0x80;
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([header, mask, body]);
}

async function attack(bytes: Buffer, reset: boolean): Promise<void> {
  const { socket, head } = await upgrade(server.token);
  expect(head).toMatch(/^HTTP\/1\.1 101/);
  socket.write(bytes);
  await new Promise((r) => setTimeout(r, 100));
  if (reset) socket.resetAndDestroy();
  else socket.destroy();
}

const ATTACKS: [string, Buffer][] = [
  ['a frame header claiming 2^40 bytes', frame(0x1, Buffer.from('x'), { claimedLength: 1n << 40n })],
  ['invalid UTF-8 in a text frame', frame(0x1, Buffer.from([0xc3, 0x28, 0xff, 0xfe]))],
  ['an unmasked frame', frame(0x1, Buffer.from('{"t":"call"}'), { unmasked: true })],
  ['RSV1 set without an extension', frame(0x1, Buffer.from('{}'), { rsv1: true })],
  ['reserved opcode 3', frame(0x3, Buffer.from('{}'))],
  ['a frame over the 1 MiB frame cap (401 MB claimed)', frame(0x1, Buffer.alloc(1024), { claimedLength: 401n * 1024n * 1024n })],
  ['the text frame `null`', frame(0x1, Buffer.from('null'))],
  ['a text frame holding a number', frame(0x1, Buffer.from('42'))],
  ['a call whose id is an object', frame(0x1, Buffer.from('{"t":"call","id":{},"name":"app.info"}'))],
];

describe('quire serve survives hostile sockets', () => {
  it('a wrong-token upgrade followed by a TCP reset, three times', async () => {
    for (let i = 0; i < 3; i++) {
      const { socket, head } = await upgrade('wrong');
      expect(head).toMatch(/^HTTP\/1\.1 403/);
      socket.resetAndDestroy();
    }
    await expectServing();
  });

  it('a reset in the middle of the upgrade request', async () => {
    for (let i = 0; i < 3; i++) {
      const socket = await rawSocket();
      socket.write(`GET /rpc?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n`);
      await new Promise((r) => setTimeout(r, 50));
      socket.resetAndDestroy();
    }
    await expectServing();
  });

  for (const [name, bytes] of ATTACKS) {
    it(`${name}, then a clean close`, async () => {
      await attack(bytes, false);
      await expectServing();
    });
    it(`${name}, then a TCP reset`, async () => {
      await attack(bytes, true);
      await expectServing();
    });
  }

  it('answers a malformed message by closing that socket with a policy code, not by dying', async () => {
    const { socket } = await upgrade(server.token);
    const closed = new Promise<Buffer>((resolve) => socket.once('data', resolve));
    socket.write(frame(0x1, Buffer.from('null')));
    const reply = await closed;
    // A close frame (opcode 8) from the server, unmasked, carrying a status code.
    expect(reply[0] & 0x0f).toBe(0x8);
    expect(reply.readUInt16BE(2)).toBeGreaterThanOrEqual(1000);
    socket.destroy();
    await expectServing();
  });
});

// A client frame of `size` bytes of `[` under an all-zero mask (legal, and it needs no pass over the bytes).
function nestedFrame(size: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x81;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(size), 2);
  return Buffer.concat([header, Buffer.alloc(size, '[')]);
}

describe('one large frame costs only its connection', () => {
  // Before the frame cap and the nesting bound, 8 MB of `[` held every connection ~4 s and 64 MB ~45 s.
  it.each([8, 64])('another connection is answered within 100 ms while %i MB of nested arrays arrive', async (megabytes) => {
    const bytes = nestedFrame(megabytes * 1024 * 1024);
    const attack = async () => {
      const { socket, head } = await upgrade(server.token);
      expect(head).toMatch(/^HTTP\/1\.1 101/);
      socket.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write(bytes);
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5_000))]);
      socket.destroy();
    };
    const { before, during } = await stallDuring(async () => expect((await bystander.call('app.info')).ok).toBe(true), attack);
    expect(during).toBeLessThan(before + 100);
    await expectServing();
  });

  it('closes a small frame that nests too deeply with a policy code, before parsing it', async () => {
    const { socket } = await upgrade(server.token);
    const reply = new Promise<Buffer>((resolve) => socket.once('data', resolve));
    socket.write(frame(0x1, Buffer.alloc(4096, '[')));
    expect((await reply).readUInt16BE(2)).toBe(1008);
    socket.destroy();
    await expectServing();
  });

  it('imports a document larger than a frame through the streamed upload', async () => {
    const text = 'The lighthouse keeper counted ships. '.repeat(40_000);
    const imported = await bystander.call('library.import', { name: 'log.txt', bytes: new TextEncoder().encode(text) }, 60_000);
    expect(imported.ok).toBe(true);
    expect(imported.value.title).toBeTruthy();
  });

  it('refuses an upload without the token', async () => {
    const response = await fetch(`${server.origin}/upload`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(403);
  });
});

// DNS rebinding: a web page at evil.example whose name is made to resolve to 127.0.0.1 reaches this server
// with `Host: evil.example:PORT`. Only the loopback names this server is reached by are answered.
async function httpGet(host: string, path = '/'): Promise<string> {
  const socket = await rawSocket();
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  const head = await responseHead(socket);
  socket.destroy();
  return head;
}

describe('the Host header', () => {
  const port = () => new URL(server.origin).port;
  it.each(['evil.example', '127.0.0.1.evil.example', 'localhost.evil.example', '10.0.0.5', ''])('refuses the page for Host %j', async (name) => {
    // Node itself answers 400 to an empty Host; either way the page is not served.
    expect(await httpGet(name ? `${name}:${port()}` : '')).toMatch(/^HTTP\/1\.1 (400|421)/);
  });
  it('refuses a page for the right name on another port', async () => {
    expect(await httpGet('127.0.0.1:1')).toMatch(/^HTTP\/1\.1 421/);
  });
  it.each(['127.0.0.1', 'localhost', 'LOCALHOST'])('serves the page for Host %s:PORT', async (name) => {
    expect(await httpGet(`${name}:${port()}`)).toMatch(/^HTTP\/1\.1 200/);
  });
  it('refuses a WebSocket upgrade with the right token and Origin but a foreign Host', async () => {
    const { socket, head } = await upgrade(server.token, `evil.example:${port()}`);
    expect(head).toMatch(/^HTTP\/1\.1 (403|421)/);
    socket.destroy();
    await expectServing();
  });
});

