import { QuireError } from '../common/errors.ts';
import { formatBytes } from '../common/format.ts';
import { choiceOption, intOption, parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';

const USAGE = 'quire convert <hf-dir> <out-dir> [--precision fp32|fp16|int4] [--kv fp32|fp16|int8|int4] [--io fp32|fp16] [--provider P] [--context N]';

export const convert: Command = {
  summary: 'convert a Hugging Face Llama checkpoint into a Quire ONNX model folder',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { precision: { type: 'string' }, kv: { type: 'string' }, io: { type: 'string' }, provider: { type: 'string' }, context: { type: 'string' } }, USAGE);
    if (positionals.length !== 2) throw new QuireError('USAGE', `expected <hf-dir> <out-dir> (usage: ${USAGE})`);
    const { convertCheckpoint } = await import('../../models/convert.ts');
    const { IO_DTYPES, KV_DTYPES, PRECISIONS, PROVIDER_CHOICES, resolveConversion } = await import('../../models/model-spec.ts');
    // The provider the model is converted for: an int8/int4 cache is quantized the way that provider reads it
    // (WebGPU only reads its own layout; docs/gpu-providers.md).
    const provider = choiceOption(values.provider, 'provider', PROVIDER_CHOICES);
    const target = provider ? { provider } : {};
    const context = intOption(values.context, 'context', { min: 1 });
    // Decided whole before the checkpoint is read: an invalid combination is refused in a line, at once.
    const conversion = resolveConversion({
      precision: choiceOption(values.precision, 'precision', PRECISIONS),
      kv: choiceOption(values.kv, 'kv', KV_DTYPES),
      io: choiceOption(values.io, 'io', IO_DTYPES),
    }, target);
    const started = Date.now();
    let lastPercent = -1;
    const manifest = await convertCheckpoint(positionals[0], positionals[1], {
      ...conversion,
      target,
      context,
      onProgress: ({ tensor, doneBytes, totalBytes }) => {
        const percent = Math.floor((100 * doneBytes) / totalBytes);
        if (percent === lastPercent && !io.isTTY) return;
        lastPercent = percent;
        const line = `converting ${percent}% (${formatBytes(doneBytes)} of ${formatBytes(totalBytes)}) ${tensor}`;
        io.stderr(io.isTTY ? `\r${line.padEnd(100).slice(0, 100)}` : `${line}\n`);
      },
    });
    if (io.isTTY) io.stderr('\n');
    const seconds = (Date.now() - started) / 1000;
    io.stderr(`converted ${manifest.name} (${manifest.precision}, kv ${manifest.kvDtype}${manifest.kvQuant === 'webgpu' ? ', for webgpu' : ''}) in ${seconds.toFixed(1)} s${manifest.demo ? ` — ${manifest.label}` : ''}\n`);
    io.stdout(`${positionals[1]}\n`);
    return 0;
  },
};
