// The self-check on the local model: the grid of niah.ts, each prompt built by the text worker (the same
// haystacks as `quire eval niah`) and answered through the runtime's one answer(), greedily, like any question.
// Consecutive prompts share their filler up to the needle, so the engine's live cache reads only what differs.
import type { InstalledModel } from '../../common/contract.ts';
import { QuireError } from '../../common/errors.ts';
import type { ModelRuntime, RuntimeSettings } from '../runtime/model-runtime.ts';
import type { TextService } from '../runtime/text-service.ts';
import { walkNiahGrid, type NiahGrid, type NiahResult } from './niah.ts';

export interface LocalNiahOptions extends NiahGrid {
  runtime: ModelRuntime;
  text: TextService;
  model: InstalledModel;
  settings: RuntimeSettings;
  // Cancel: stops the answer running (which then ends the run CANCELLED) or the next one before it starts.
  signal: AbortSignal;
}

export async function runLocalNiah(options: LocalNiahOptions): Promise<NiahResult> {
  const { runtime, text, model, settings, signal } = options;
  // The model is loaded in a turn of its own, so the first cell's time is its prompt's alone, as in runNiah.
  await runtime.queue.run(signal, () => runtime.ensure(model, settings));
  return walkNiahGrid(options, {
    build: async ({ fillerSeed, length, sample }) => {
      const ids = await text.haystack(model.dir, { seed: fillerSeed, length, inserts: sample.inserts, question: sample.question });
      return new Int32Array(ids.buffer, ids.byteOffset, ids.length);
    },
    answer: async (tail, maxNewTokens) => {
      const answered = await runtime.answer({
        model,
        settings,
        prompt: { prefix: null, tail },
        room: () => maxNewTokens,
        sampling: { greedy: true },
        stop: [],
        // A haystack is worth nothing after the check.
        save: 'nothing',
        signal,
      });
      if (answered.stopped) throw new QuireError('CANCELLED', 'the self-check was cancelled');
      return answered.text;
    },
  });
}
