import { QuireError } from '../common/errors.ts';
import { intOption, listOption, parseCommandArgs } from './args.ts';
import { jsonOutput, type CliIo } from './command.ts';
import { ENGINE_OPTIONS, openEngine, tokenIds } from './engine-args.ts';

export const LOGITS_USAGE = 'quire inspect logits --model <dir> --ids 1,2,3 [--chunk N] [--all] [--context N] [--provider P] --json';

// Logits of the last position (or every position with --all) after prefilling --ids, in chunks of --chunk.
export async function inspectLogits(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, { ...ENGINE_OPTIONS, ids: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' } }, LOGITS_USAGE);
  const ids = listOption(values.ids, 'ids');
  if (!ids) throw new QuireError('USAGE', `--ids is required (usage: ${LOGITS_USAGE})`);
  const chunk = intOption(values.chunk, 'chunk', { min: 1 });
  const session = await openEngine(values, ids.length, LOGITS_USAGE, io);
  try {
    tokenIds(ids, session.vocabSize);
    const logits = await session.prefill(ids, { allLogits: values.all === true, ...(chunk ? { chunk } : {}) });
    const V = session.vocabSize;
    const rows = values.all ? Array.from({ length: ids.length }, (_, i) => Array.from(logits.subarray(i * V, (i + 1) * V))) : Array.from(logits);
    if (values.json) {
      io.stdout(jsonOutput({ logits: rows }));
    } else {
      const last = values.all ? logits.subarray((ids.length - 1) * V) : logits;
      let best = 0;
      for (let i = 1; i < V; i++) if (last[i] > last[best]) best = i;
      io.stdout(`engine: ${session.report.path} on ${session.report.provider}\nlast position: argmax ${best} (logit ${last[best]}) over ${V} tokens\n`);
    }
    return 0;
  } finally {
    await session.release();
  }
}
