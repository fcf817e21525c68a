// Tokenizing and templates off the main thread (issue 13 points 9 and 10): the event loop keeps running while a
// book is counted, concurrent counts of one document are one, and a runaway template is refused without
// taking the process or the next request with it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextService } from '../../../electron/node/runtime/text-service.ts';
import { writeTinyCheckpoint } from '../../../models/tiny-checkpoint.ts';

let dir: string;
let hostile: string;
const service = new TextService();
// A short budget, for the template that never ends.
const impatient = new TextService({ baseTimeoutMs: 3_000 });

beforeAll(async () => {
  dir = join(mkdtempSync(join(tmpdir(), 'quire-text-')), 'model');
  await writeTinyCheckpoint(dir, {});
  hostile = join(mkdtempSync(join(tmpdir(), 'quire-text-')), 'hostile');
  await writeTinyCheckpoint(hostile, {});
});

afterAll(async () => {
  await service.close();
  await impatient.close();
});

function withTemplate(template: string): string {
  const config = JSON.parse(readFileSync(join(hostile, 'tokenizer_config.json'), 'utf8'));
  writeFileSync(join(hostile, 'tokenizer_config.json'), JSON.stringify({ ...config, chat_template: template }));
  return hostile;
}

describe('text service', () => {
  it('once closed holds no process open: the request under way and any later one are refused, their budgets cleared', async () => {
    // In a process of its own, which must end by itself: a time budget left running, or a worker started for a
    // request arriving after close (a count an import started just before), kept `quire serve` from exiting.
    const module = new URL('../../../electron/node/runtime/text-service.ts', import.meta.url).href;
    const script = `
      const { TextService } = await import(${JSON.stringify(module)});
      const text = new TextService();
      const underWay = text.warm(${JSON.stringify(dir)}).catch((e) => e.code);
      await text.close();
      const late = await text.warm(${JSON.stringify(dir)}).catch((e) => e.code);
      console.log(JSON.stringify([await underWay, late]));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.signal, child.stderr).toBeNull();
    expect(JSON.parse(child.stdout.trim())).toEqual(['CANCELLED', 'CANCELLED']);
  });

  it('counts a book while the event loop keeps ticking, and shares concurrent counts of one document', async () => {
    const book = 'The tide tables were written by hand every evening, without fail. '.repeat(150_000); // ~10 MB
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const first = service.encodeDocuments(dir, 'book', [{ title: 'Tides', format: 'txt', text: book }], 'instructions');
    const again = service.encodeDocuments(dir, 'book', [{ title: 'Tides', format: 'txt', text: book }], 'instructions');
    expect(again).toBe(first);
    const count = (await first).prefix.length;
    clearInterval(timer);
    expect(count).toBeGreaterThan(1_000_000);
    // Counting on the main thread would have let no tick run until it finished.
    expect(ticks).toBeGreaterThan(5);
    // A line of text is the prompt's framing and little more.
    expect((await service.encodeDocuments(dir, 'other', [{ title: 'Tide', format: 'txt', text: 'The tide.' }], 'instructions')).prefix.length).toBeLessThan(400);
  }, 120_000);

  it('refuses a template that writes megabytes of its own text, in one line', async () => {
    const dir = withTemplate("{% for m in messages %}{{ m['content'] }}{% endfor %}{% for i in range(300000) %}xxxxxxxxxx{% endfor %}");
    await expect(service.encode(dir, [{ role: 'user', content: 'hello' }], true)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  }, 60_000);

  it('stops a template that never ends, and answers the next request', async () => {
    const dir = withTemplate("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}{{ messages[0]['content'] }}");
    const started = Date.now();
    const runaway = impatient.encode(dir, [{ role: 'user', content: 'hello' }], true);
    // Queued behind the runaway: answered by a fresh worker once the runaway is refused.
    const next = impatient.tokens(dir, 'The tide.', false).then((t) => t.length);
    await expect(runaway).rejects.toMatchObject({ code: expect.stringMatching(/^(TIMEOUT|LIMIT_EXCEEDED)$/) });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(await next).toBeGreaterThan(0);
  }, 90_000);
});
