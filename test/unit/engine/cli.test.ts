import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.ts';
import { EngineSession } from '../../../electron/node/engine/engine-session.ts';
import { tinyModel } from './tiny-model.ts';



let dir: string;
beforeAll(async () => {
  dir = await tinyModel({ originalContext: 128, factor: 4 });
});

describe('quire inspect logits', () => {
  it('prints the last-position logits, chunked or not, and every position with --all', async () => {
    const ids = [5, 17, 33, 2, 91, 40, 7];
    const whole = JSON.parse((await runCli(['inspect', 'logits', '--model', dir, '--ids', ids.join(','), '--json'])).stdout);
    const chunked = JSON.parse((await runCli(['inspect', 'logits', '--model', dir, '--ids', ids.join(','), '--chunk', '3', '--json'])).stdout);
    const all = JSON.parse((await runCli(['inspect', 'logits', '--model', dir, '--ids', ids.join(','), '--all', '--json'])).stdout);
    const session = await EngineSession.load(dir, { context: ids.length });
    const expected = Array.from(await session.prefill(ids));
    await session.release();
    expect(whole.logits).toHaveLength(session.vocabSize);
    whole.logits.forEach((v: number, i: number) => {
      expect(v).toBeCloseTo(expected[i], 5);
      expect(chunked.logits[i]).toBeCloseTo(v, 4);
      expect(all.logits[ids.length - 1][i]).toBeCloseTo(v, 4);
    });
    expect(all.logits).toHaveLength(ids.length);
  });

  it('refuses ids outside the vocabulary and missing flags', async () => {
    expect(await runCli(['inspect', 'logits', '--model', dir, '--ids', '999999', '--json'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/INVALID_INPUT/) });
    expect((await runCli(['inspect', 'logits', '--model', dir, '--json'])).code).toBe(2);
  });
});

describe('quire generate', () => {
  it('--json returns the greedy tokens and their text', async () => {
    const { code, stdout } = await runCli(['generate', '--model', dir, '--ids', '1,2,3', '--max-new-tokens', '6', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    const session = await EngineSession.load(dir, { context: 16 });
    await session.prefill([1, 2, 3]);
    const tokens = await session.generate({ maxNewTokens: 6, sampling: { greedy: true } });
    await session.release();
    expect(result.tokens).toEqual(tokens);
    expect(typeof result.text).toBe('string');
  });

  it('samples reproducibly with a seed and streams text without --json', async () => {
    const args = ['generate', '--model', dir, '--prompt', 'hello', '--max-new-tokens', '8', '--temperature', '1.5', '--top-k', '50', '--top-p', '0.95', '--seed', '4', '--json'];
    const a = JSON.parse((await runCli(args)).stdout);
    const b = JSON.parse((await runCli(args)).stdout);
    expect(a).toEqual(b);
    const streamed = await runCli(args.slice(0, -1));
    expect(streamed.stdout).toBe(`${a.text}\n`);
    expect(streamed.stderr).toMatch(/engine (native|onnxruntime-node) on cpu/);
    expect((await runCli(['generate', '--model', dir, '--ids', '1', '--greedy', '--seed', '2'])).code).toBe(2);
  });
});
