import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.ts';
import { writeTinyCheckpoint } from '../../../models/tiny-checkpoint.ts';

const root = mkdtempSync(join(tmpdir(), 'quire-cli-models-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cli = (...argv: string[]) => runCli(argv);

describe('quire convert / inspect', () => {
  it('inspect rope prints UltraLong tables with the attention factor applied', async () => {
    const config = join(root, 'config.json');
    writeFileSync(config, JSON.stringify({
      architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32,
      num_attention_heads: 32, num_key_value_heads: 8, vocab_size: 128256, rms_norm_eps: 1e-5, rope_theta: 500000,
      max_position_embeddings: 1048576, rope_scaling: { rope_type: 'yarn', factor: 128, original_max_position_embeddings: 8192, beta_fast: 4, beta_slow: 1 },
    }));
    const r = await cli('inspect', 'rope', '--config', config, '--context', '200000', '--positions', '0,1,150000', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rope_type).toBe('yarn');
    expect(out.inv_freq).toHaveLength(64);
    expect(out.attention_factor).toBeCloseTo(0.1 * Math.log(128) + 1, 12);
    expect(out.cos).toHaveLength(3);
    expect(out.cos[0][7]).toBeCloseTo(out.attention_factor, 6);
    expect(out.sin[0][7]).toBe(0);
    expect(Math.hypot(out.cos[2][63], out.sin[2][63])).toBeCloseTo(out.attention_factor, 5);
    expect(out.sin[1][0]).toBeCloseTo(Math.sin(1) * out.attention_factor, 6);
    expect((await cli('inspect', 'rope', '--config', config, '--context', '10', '--positions', '10', '--json')).stderr).toMatch(/^quire: INVALID_INPUT: position 10/);
  });

  it('converts a tiny checkpoint and summarizes it; refuses what it cannot build', async () => {
    const hf = join(root, 'hf');
    await writeTinyCheckpoint(hf, { rope: 'llama3' });
    const out = join(root, 'out');
    const c = await cli('convert', hf, out, '--precision', 'fp16', '--context', '64');
    expect(c.code).toBe(0);
    expect(c.stderr).toContain('converting 100%');
    const m = await cli('inspect', 'model', out, '--json');
    const summary = JSON.parse(m.stdout);
    expect(summary).toMatchObject({ precision: 'fp16', kv_dtype: 'fp16', context_tokens: 64, demo: true, label: 'demo: produces meaningless text' });
    // 2 layers: embed + lm_head (512×64 each), per layer 4+2+2+4 heads·16 rows ·64 + 3·64·128 + 2·64 norms, final norm
    expect(summary.parameters).toBe(2 * 512 * 64 + 2 * (4 * 16 * 64 * 2 + 2 * 16 * 64 * 2 + 3 * 64 * 128 + 2 * 64) + 64);
    expect(summary.kv_bytes_per_token).toBe(2 * 2 * 2 * 16 * 2);
    expect((await cli('convert', hf, join(root, 'x'), '--precision', 'int3')).code).toBe(2);
    expect((await cli('convert', hf, join(root, 'x'), '--kv', 'fp16', '--precision', 'fp32')).stderr).toMatch(/^quire: INVALID_INPUT/);
    // A quantized cache: scales calibrated during conversion, a quarter of the fp32 cache per token.
    expect((await cli('convert', hf, join(root, 'q'), '--precision', 'fp32', '--kv', 'int8', '--context', '64')).code).toBe(0);
    expect(JSON.parse((await cli('inspect', 'model', join(root, 'q'), '--json')).stdout)).toMatchObject({ kv_dtype: 'int8', kv_bytes_per_token: 2 * 2 * 2 * 16 });
    writeFileSync(join(hf, 'config.json'), JSON.stringify({ model_type: 'mistral', architectures: ['MistralForCausalLM'] }));
    expect((await cli('convert', hf, join(root, 'y'))).stderr).toMatch(/^quire: UNSUPPORTED_MODEL: only LlamaForCausalLM/);
  });
});
