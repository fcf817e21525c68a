import { writeFileSync } from 'node:fs';
import { QuireError } from '../common/errors.ts';
import { choiceOption, intOption, listOption, parseCommandArgs } from './args.ts';
import { commandGroup, jsonOutput, type CliIo, type Command, type Subcommand } from './command.ts';
import { ENGINE_OPTIONS, providerOption } from './engine-args.ts';

// `quire eval <what> …`: evaluations of a converted model; NIAH (with RULER-style variants) for now.
const NIAH_USAGE =
  'quire eval niah --model <dir> --lengths L1,L2,… --depths D1,D2,… [--samples N] [--seed S] [--kv fp16|int8|int4] ' +
  '[--task niah|multikey|multivalue|vt] [--context N] [--provider P] [--json] [--plot out.png]';

const NIAH_OPTIONS = {
  model: ENGINE_OPTIONS.model,
  context: ENGINE_OPTIONS.context,
  provider: ENGINE_OPTIONS.provider,
  lengths: { type: 'string' },
  depths: { type: 'string' },
  samples: { type: 'string' },
  seed: { type: 'string' },
  kv: { type: 'string' },
  task: { type: 'string' },
  json: { type: 'boolean' },
  plot: { type: 'string' },
} as const;

async function niah(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, NIAH_OPTIONS, NIAH_USAGE);
  for (const required of ['model', 'lengths', 'depths'] as const) {
    if (values[required] === undefined) throw new QuireError('USAGE', `--${required} is required (usage: ${NIAH_USAGE})`);
  }
  const { runNiah } = await import('../node/eval/niah.ts');
  const { USER_KV_DTYPES } = await import('../../models/model-spec.ts');
  const { TASKS } = await import('../node/eval/tasks.ts');
  const lengths = listOption(values.lengths, 'lengths')!;
  const depths = listOption(values.depths, 'depths')!;
  const task = choiceOption(values.task, 'task', TASKS) ?? 'niah';
  const kv = choiceOption(values.kv, 'kv', USER_KV_DTYPES);
  const provider = providerOption(values.provider);
  const samples = intOption(values.samples, 'samples', { min: 1 });
  const seed = intOption(values.seed, 'seed');
  const context = intOption(values.context, 'context', { min: 1 });
  const total = new Set(lengths).size * new Set(depths).size;
  let finished = 0;
  const result = await runNiah(values.model!, {
    lengths,
    depths,
    task,
    ...(samples !== undefined ? { samples } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(kv ? { kv } : {}),
    ...(context !== undefined ? { context } : {}),
    ...(provider ? { provider } : {}),
    onCell: (c) => io.stderr(`[${++finished}/${total}] ${task} length ${c.length} depth ${c.depth}%: ${Math.round(c.accuracy * c.samples)}/${c.samples} (${c.seconds.toFixed(2)} s)\n`),
  });
  if (values.plot) {
    const { renderHeatmapPng } = await import('../node/eval/heatmap-png.ts');
    writeFileSync(values.plot, renderHeatmapPng(result.cells, task));
  }
  if (values.json) {
    const cells = result.cells.map(({ length, depth, accuracy, samples }) => ({ length, depth, accuracy, samples }));
    io.stdout(jsonOutput({ cells, mean: result.mean }));
  } else {
    io.stdout(`${niahTable(result.cells)}\nmean ${(result.mean * 100).toFixed(1)}%\n`);
  }
  return 0;
}

// Depth rows × length columns of accuracy percents, as the heatmap reads.
function niahTable(cells: readonly { length: number; depth: number; accuracy: number }[]): string {
  const lengths = [...new Set(cells.map((c) => c.length))];
  const depths = [...new Set(cells.map((c) => c.depth))];
  const width = Math.max(6, ...lengths.map((l) => String(l).length + 1));
  const header = 'depth \\ length'.padEnd(15) + lengths.map((l) => String(l).padStart(width)).join('');
  const rows = depths.map(
    (d) => `${`${d}%`.padEnd(15)}${lengths.map((l) => `${Math.round(cells.find((c) => c.length === l && c.depth === d)!.accuracy * 100)}%`.padStart(width)).join('')}`,
  );
  return [header, ...rows].join('\n');
}

const EVALUATIONS: Record<string, Subcommand> = {
  niah: { usage: NIAH_USAGE, run: niah },
};

export const evaluate: Command = commandGroup('eval', 'evaluate a model: needle-in-a-haystack retrieval (niah, multikey, multivalue, vt) with a heatmap', EVALUATIONS);
