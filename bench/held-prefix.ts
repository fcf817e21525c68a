// What a follow-up costs the engine's process before its first new token is read, per size of the held
// prefix: the prompt built from the prefix the cache holds plus the question's tail (answer-prompt.ts
// promptTokens), and the common prefix of that prompt with what the cache holds (EngineSession.commonPrefix),
// beside the physical floor of the same work: one copy of the prefix's bytes into fresh memory (as a prompt is).
//   node bench/held-prefix.ts [--sizes 65536,131072,262144,1048576] [--runs 20]
import { parseArgs } from 'node:util';
import { promptTokens } from '../electron/node/engine/answer-prompt.ts';
import { commonLength, TokenLog } from '../electron/node/engine/token-log.ts';
import { printTable } from './roofline.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '65536,131072,262144,1048576' }, runs: { type: 'string', default: '20' } } });
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);
// A question's tail as a follow-up sends it (its turn header, words and the assistant header).
const TAIL = 40;

const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
const time = (work: () => void) => {
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    work();
    ms.push(performance.now() - started);
  }
  return median(ms);
};

const rows = sizes.map((n) => {
  const log = new TokenLog();
  log.append(Int32Array.from({ length: n }, (_, i) => (i * 7919) % 128_256));
  const tail = Int32Array.from({ length: TAIL }, (_, i) => 100 + i);
  const prefix = { key: 'k', length: n, tokens: null };
  let common = 0;
  const followUp = time(() => {
    common = commonLength(promptTokens(log.view(), prefix, tail), log.view());
  });
  if (common !== n) throw new Error(`common prefix ${common}, expected ${n}`);
  let copied = 0;
  const floor = time(() => {
    copied += log.view().slice().length;
  });
  if (copied !== n * runs) throw new Error('the copy was not made');
  return [n.toLocaleString('en'), followUp.toFixed(2), floor.toFixed(2), (followUp / Math.max(floor, 1e-3)).toFixed(1)];
});
printTable(['held prefix (tokens)', 'prompt + common prefix (ms, p50)', 'one copy of the prefix (ms, p50)', '× floor'], rows);
