// Another user on the machine must not read what Quire keeps: the data folder is 0700 and what is created in
// it 0600 (database, WAL, snapshots, kept originals, converted models), an existing folder left 0755 by an
// older version is tightened, and `serve --open` hands the browser the token without putting it on a command
// line (which any local user can read in /proc/PID/cmdline).
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RpcClient } from './rpc-client.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const servers: ServeProcess[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

const mode = (path: string) => lstatSync(path).mode & 0o777;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return lstatSync(path).isDirectory() ? [path, ...walk(path)] : [path];
  });
}

describe('files other users must not read', () => {
  it('the data folder is 0700 (tightened if it was 0755) and everything in it is private', { timeout: 240_000 }, async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'quire-e2e-perm-')), 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    const server = await startServe({ QUIRE_DATA_DIR: dataDir });
    servers.push(server);
    expect(mode(dataDir)).toBe(0o700);
    const client = await RpcClient.open(server);
    const imported = await client.call('library.import', { name: 'diary.txt', bytes: new TextEncoder().encode('Dear diary, the code to the safe is 4711.') });
    expect(imported.error).toBeUndefined();
    const conversation = await client.call('chat.create', { documentIds: [imported.value.id] });
    expect((await client.call('chat.ask', { conversationId: conversation.value.id, question: 'What is the code?' }, 180_000)).error).toBeUndefined();
    client.close();
    const entries = walk(dataDir);
    // The database, its WAL, a snapshot and the converted demo model are all there to be checked.
    expect(entries.some((p) => p.endsWith('quire.db'))).toBe(true);
    expect(entries.some((p) => p.includes('snapshots'))).toBe(true);
    expect(entries.some((p) => p.endsWith('model.onnx'))).toBe(true);
    const open = entries.filter((p) => (mode(p) & 0o077) !== 0).map((p) => `${p.slice(dataDir.length)} ${mode(p).toString(8)}`);
    expect(open).toEqual([]);
  });

  it('serve --open gives the opener a private file, not the token', { timeout: 120_000 }, async () => {
    const bin = mkdtempSync(join(tmpdir(), 'quire-e2e-opener-'));
    const log = join(bin, 'log');
    // Stands in for xdg-open/open: records its argv and what it could read from the file it was given.
    for (const name of ['xdg-open', 'open']) {
      writeFileSync(
        join(bin, name),
        `#!/bin/sh\nprintf '%s\\n' "$@" > '${log}.args'\nstat -c %a "$1" > '${log}.mode' 2>/dev/null || stat -f %Lp "$1" > '${log}.mode'\nstat -c %a "$(dirname "$1")" > '${log}.dirmode' 2>/dev/null || stat -f %Lp "$(dirname "$1")" > '${log}.dirmode'\ncat "$1" > '${log}.content'\n`,
        { mode: 0o755 },
      );
    }
    const server = await startServe({ PATH: `${bin}:${process.env.PATH}` }, ['--open']);
    servers.push(server);
    const deadline = Date.now() + 20_000;
    while (!existsSync(`${log}.content`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const args = readFileSync(`${log}.args`, 'utf8');
    expect(args).not.toContain(server.token);
    expect(readFileSync(`${log}.mode`, 'utf8').trim()).toBe('600');
    expect(readFileSync(`${log}.dirmode`, 'utf8').trim()).toBe('700');
    // The file sends the browser on to the tokened address.
    expect(readFileSync(`${log}.content`, 'utf8')).toContain(`${server.origin}/#token=${server.token}`);
    const file = args.trim().split('\n')[0];
    await server.stop();
    // It does not outlive the server.
    expect(existsSync(file)).toBe(false);
  });
});

