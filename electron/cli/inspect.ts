import { QuireError } from '../common/errors.ts';
import { intOption, listOption, parseCommandArgs } from './args.ts';
import { commandGroup, jsonOutput, type CliIo, type Command, type Subcommand } from './command.ts';
import { inspectLogits, LOGITS_USAGE } from './inspect-logits.ts';

// `quire inspect <what> …`: one table of sub-subcommands, each with its own usage line.

const ROPE_USAGE = 'quire inspect rope --config <config.json> [--context N] --positions 0,1,… --json';
const MODEL_USAGE = 'quire inspect model <dir> [--verify] --json';

const INSPECTORS: Record<string, Subcommand> = {
  logits: { usage: LOGITS_USAGE, run: inspectLogits },
  rope: {
    usage: ROPE_USAGE,
    async run(argv, io) {
      const { values } = parseCommandArgs(argv, { config: { type: 'string' }, context: { type: 'string' }, positions: { type: 'string' }, json: { type: 'boolean' } }, ROPE_USAGE);
      if (!values.config) throw new QuireError('USAGE', `--config is required (usage: ${ROPE_USAGE})`);
      const positions = listOption(values.positions, 'positions') ?? [];
      if (positions.some((p) => !Number.isInteger(p) || p < 0)) throw new QuireError('USAGE', '--positions wants non-negative integers');
      const { readLlamaConfig } = await import('../../models/hf-config.ts');
      const { ropeFrequencies, ropeRow } = await import('../../models/rope.ts');
      const cfg = readLlamaConfig(values.config);
      const context = intOption(values.context, 'context', { min: 1 }) ?? cfg.maxPositionEmbeddings;
      const beyond = positions.find((p) => p >= context);
      if (beyond !== undefined) throw new QuireError('INVALID_INPUT', `position ${beyond} is outside the context of ${context} tokens`);
      const freqs = ropeFrequencies(cfg.rope);
      // Only the requested rows: a table for the whole context could be gigabytes.
      const rows = positions.map((p) => {
        const cos = new Float32Array(freqs.invFreq.length);
        const sin = new Float32Array(freqs.invFreq.length);
        ropeRow(freqs, p, cos, sin);
        return { cos: Array.from(cos), sin: Array.from(sin) };
      });
      const result = {
        rope_type: freqs.rope_type,
        inv_freq: Array.from(freqs.invFreq),
        attention_factor: freqs.attentionFactor,
        cos: rows.map((r) => r.cos),
        sin: rows.map((r) => r.sin),
      };
      io.stdout(values.json ? jsonOutput(result) : `${freqs.rope_type} attention_factor=${freqs.attentionFactor} inv_freq[0..${freqs.invFreq.length - 1}]=${result.inv_freq[0]}…${result.inv_freq.at(-1)}\n`);
      return 0;
    },
  },
  model: {
    usage: MODEL_USAGE,
    async run(argv, io) {
      const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, verify: { type: 'boolean' } }, MODEL_USAGE);
      if (positionals.length !== 1) throw new QuireError('USAGE', `expected one model folder (usage: ${MODEL_USAGE})`);
      const { readManifest } = await import('../../models/manifest.ts');
      const m = readManifest(positionals[0]);
      const summary = {
        name: m.name,
        demo: m.demo,
        ...(m.label ? { label: m.label } : {}),
        architecture: m.config.architecture,
        precision: m.precision,
        kv_dtype: m.kvDtype,
        context_tokens: m.contextTokens,
        max_position_embeddings: m.config.maxPositionEmbeddings,
        layers: m.config.numLayers,
        hidden_size: m.config.hiddenSize,
        heads: m.config.numHeads,
        kv_heads: m.config.numKvHeads,
        head_dim: m.config.headDim,
        vocab_size: m.config.vocabSize,
        rope: { type: m.rope.rope_type, attention_factor: m.rope.attention_factor, hash: m.rope.hash },
        parameters: m.parameters,
        bytes: m.bytes.model + m.bytes.data,
        kv_bytes_per_token: m.kvBytesPerToken,
        source_checksum: m.source.checksum,
        // --verify: every file against the checksum recorded at conversion (a damaged one is MODEL_CORRUPT).
        ...(values.verify ? { verified: await verifyFolder(positionals[0], io) } : {}),
      };
      if (values.json) io.stdout(jsonOutput(summary));
      else io.stdout(`${Object.entries(summary).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join('\n')}\n`);
      return 0;
    },
  },
};

// A model that passes is recorded as verified, so its next load needs no full check.
async function verifyFolder(dir: string, io: CliIo): Promise<'ok' | 'unchecked'> {
  const { verifyAndRecord } = await import('../../models/weights-identity.ts');
  const result = await verifyAndRecord(dir);
  if (result.status === 'unchecked') io.stderr(`quire: warning: ${result.reason}\n`);
  return result.status;
}

export const inspect: Command = commandGroup('inspect', 'inspect RoPE tables, a converted model, or its logits', INSPECTORS);
