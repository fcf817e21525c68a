import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint } from '../../models/convert.ts';
import { writeTinyCheckpoint } from '../../models/tiny-checkpoint.ts';
import { TINY_EOS_IDS } from '../../models/tokenizer/tiny.ts';

// A random-weight Llama-3.1-style model (YaRN, GQA) converted with the project's own converter into the
// data folder's models directory, exactly where an installed model lives. Its text is meaningless; the tests
// using it are about the flow, not the answers.
export async function installTinyModel(dataDir: string, id = 'tiny-demo'): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'quire-tiny-hf-'));
  // The checkpoint folder's name becomes the model's display name.
  const hf = join(work, 'Tiny demo model');
  try {
    // Big enough that an answer streams for a few seconds on CPU (so it can be watched and stopped).
    // Its end-of-turn tokens are muted, so every answer runs to the length limit and can be stopped.
    const mutedTokens = [...TINY_EOS_IDS];
    await writeTinyCheckpoint(hf, { originalContext: 2048, factor: 8, layers: 4, hiddenSize: 256, intermediateSize: 512, heads: 4, kvHeads: 2, seed: 7, mutedTokens });
    const out = join(dataDir, 'models', id);
    await convertCheckpoint(hf, out, { precision: 'fp32' });
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
