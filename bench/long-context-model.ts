// The long-context test model the scale benches generate: tiny widths, 2 layers, YaRN ×128 over 8,192 →
// 1,048,576 positions, the real Llama-3 tokenizer and the Llama-3.1 template, converted into `out`.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertCheckpoint } from '../models/convert.ts';
import { writeTinyCheckpoint } from '../models/tiny-checkpoint.ts';
import { LLAMA3_CONFIG, llama3TokenizerJson } from '../test/unit/models/tokenizer-llama3-fixture.ts';

// `work`: where the checkpoint is written before it is converted.
export async function longContextModel(work: string, out: string): Promise<string> {
  const hf = join(work, 'hf');
  rmSync(hf, { recursive: true, force: true });
  await writeTinyCheckpoint(hf, { originalContext: 8192, factor: 128, hiddenSize: 256, intermediateSize: 512, layers: 2, heads: 4, kvHeads: 1, vocabSize: 128256, demo: false, seed: 3 });
  writeFileSync(join(hf, 'tokenizer.json'), JSON.stringify(llama3TokenizerJson()));
  writeFileSync(join(hf, 'tokenizer_config.json'), JSON.stringify(LLAMA3_CONFIG));
  await convertCheckpoint(hf, out, { precision: 'fp32' });
  return out;
}
