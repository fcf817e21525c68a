import { QuireError } from '../common/errors.ts';
import { choiceOption, parseCommandArgs } from './args.ts';
import { commandGroup, type Command } from './command.ts';

// `quire export gguf`: a converted model for llama.cpp, Ollama or LM Studio, with Quire's exact weights, RoPE/YaRN,
// tokenizer and chat template (models/gguf.ts). Prints one line: the file and its size.
const GGUF_USAGE = 'quire export gguf <model-dir> <out.gguf> [--type f32|f16|q4_0] (default: the model\'s own precision, q4_0 for int4)';
const TYPES = ['f32', 'f16', 'q4_0'] as const;

export const exportModel: Command = commandGroup('export', 'export a converted model to another engine\'s format (GGUF)', {
  gguf: {
    usage: GGUF_USAGE,
    async run(argv, io) {
      const { values, positionals } = parseCommandArgs(argv, { type: { type: 'string' } }, GGUF_USAGE);
      if (positionals.length !== 2) throw new QuireError('USAGE', `expected <model-dir> <out.gguf> (usage: ${GGUF_USAGE})`);
      const type = choiceOption(values.type, 'type', TYPES);
      const { exportGguf } = await import('../../models/gguf.ts');
      const { formatBytes } = await import('../common/format.ts');
      const out = await exportGguf(positionals[0], positionals[1], type ? { type: type.toUpperCase() as Uppercase<typeof type> } : {});
      io.stdout(`${out.path} ${formatBytes(out.bytes)} (${out.bytes} bytes, ${out.type})\n`);
      return 0;
    },
  },
});
