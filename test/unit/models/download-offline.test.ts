// Without a network (or with nothing at the address) a download says so in words, not with a socket code.
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadRepo } from '../../../models/download.ts';

const target = () => join(mkdtempSync(join(tmpdir(), 'quire-offline-')), 'model');
const failure = (endpoint: string) =>
  downloadRepo('owner/model', target(), { endpoint }).then(
    () => {
      throw new Error('the download should have failed');
    },
    (e: unknown) => e as Error & { code: string },
  );

describe('a download that cannot reach the hub', () => {
  it('names a host that does not resolve in words', async () => {
    const error = await failure('http://hub.invalid');
    expect(error).toMatchObject({ code: 'DOWNLOAD_FAILED' });
    expect(error.message).toMatch(/^cannot reach hub\.invalid: (no such host: the name does not resolve|the host name could not be looked up)/);
    expect(error.message).not.toMatch(/ENOTFOUND|EAI_AGAIN/);
  });

  it('says nothing is listening where nothing is', async () => {
    // A port that was free a moment ago.
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const error = await failure(`http://127.0.0.1:${port}`);
    expect(error.message).toBe(`cannot reach 127.0.0.1:${port}: nothing is listening there (connection refused)`);
  });
});
