// The self-check: a short needle-in-a-haystack grid on the local model (through the runtime's answer(), like a
// question) or on a remote engine's model, with a cell-by-cell progress event and the heatmap.
import { QuireError } from '../../common/errors.ts';
import type { NiahCell, RemoteChoice } from '../../common/contract.ts';
import { engineContext } from '../../../models/model-spec.ts';
import { remoteTarget } from '../chat/remote-answer.ts';
import { heatmapSvg } from '../eval/heatmap.ts';
import { runLocalNiah } from '../eval/local-niah.ts';
import { runRemoteNiah } from '../eval/remote-niah.ts';
import { remoteTokens } from '../remote/remote-tokenizer.ts';
import type { AppContext, DomainHandlers } from './context.ts';

// The grid: four lengths up to the chosen context, five depths (the paper's figure, shortened).
const SELF_CHECK_FRACTIONS = [0.125, 0.25, 0.5, 1];
const SELF_CHECK_DEPTHS = [0, 25, 50, 75, 100];

export function selfCheckHandlers({ root, bus, settings, secrets, engines, runtime, text, activeModel, engineSettings }: AppContext): DomainHandlers<'models.selfCheck' | 'models.cancelSelfCheck'> {
  // The self-check that runs, so Cancel can stop it: its signal ends a remote run between requests and, on
  // the local model, stops the answer the engine runs now.
  let running: AbortController | null = null;

  const grid = (context: number) => {
    const lengths = SELF_CHECK_FRACTIONS.map((f) => Math.round(context * f));
    const total = lengths.length * SELF_CHECK_DEPTHS.length;
    let done = 0;
    return { lengths, onCell: (cell: NiahCell) => bus.emit('models.selfCheckProgress', { cell, done: ++done, total }) };
  };

  // On a remote engine's model: the same grid up to the server's context, counted by the server.
  const remote = async (engine: RemoteChoice, signal: AbortSignal) => {
    const { client, context } = await remoteTarget(engines, engine);
    if (!context) throw new QuireError('INVALID_INPUT', `${client.host} does not report ${engine.model}'s context, which the self-check needs: say it in Settings → Engines`);
    const { lengths, onCell } = grid(context);
    const result = await runRemoteNiah({
      client,
      model: engine.model,
      context,
      count: async (messages) => (await remoteTokens(client, engine.model, messages, { root, text, secrets })).tokens,
      lengths,
      depths: SELF_CHECK_DEPTHS,
      onCell,
      signal,
    });
    return { modelId: engine.model, ...result, heatmapSvg: heatmapSvg(result.cells, `${engine.model} on ${client.host} · self-check`) };
  };

  return {
    'models.selfCheck': async ({ engine }) => {
      if (running) throw new QuireError('BUSY', 'a self-check is already running');
      const run = new AbortController();
      running = run;
      try {
        if (engine) return await remote(engine, run.signal);
        const model = activeModel();
        const { lengths, onCell } = grid(engineContext(model, settings.get()));
        const result = await runLocalNiah({ runtime, text, model, settings: engineSettings(), lengths, depths: SELF_CHECK_DEPTHS, samples: 1, onCell, signal: run.signal });
        return { modelId: model.id, ...result, heatmapSvg: heatmapSvg(result.cells, `${model.name} · self-check`) };
      } catch (error) {
        throw run.signal.aborted ? new QuireError('CANCELLED', 'the self-check was cancelled') : error;
      } finally {
        running = null;
      }
    },
    'models.cancelSelfCheck': () => {
      running?.abort();
      return { cancelled: running !== null };
    },
  };
}
