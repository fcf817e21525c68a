// What each catalog model would be on this machine, before anything is downloaded: the memory planner's
// largest context at each weight precision and cache this device runs, the disk a conversion needs, and how
// long the download and the conversion take. The catalog cards and the fit panel's way forward both read it.
import type { CatalogFitOption, CatalogFitReport, PlanningMemory } from '../common/contract.ts';
import type { CatalogModel } from '../../models/catalog.ts';
import { conversionChoices, KV_DTYPES, resolveConversion, type ConversionTarget, type Precision } from '../../models/model-spec.ts';
import { planFit, type ModelDims } from './engine/memory-planner.ts';

// A download's speed until one is measured: 50 MB/s (a 400 Mbit/s line). Conversion reads the checkpoint at
// about 65 MB/s on a 2-core machine (bench/convert.ts, 1-layer 8B shapes: 63 MB/s fp16, 72 MB/s int4).
export const ASSUMED_DOWNLOAD_BYTES_PER_SECOND = 50e6;
export const CONVERT_BYTES_PER_SECOND = 65e6;

// Bytes of the converted weights (models/llama-graph.ts): dense precisions store every weight in their dtype;
// int4 stores the layers' and the head's matrices as 4-bit blocks of 32 with an fp16 scale each, and the
// embedding table in fp16.
export function convertedWeightBytes(arch: CatalogModel['architecture'], precision: Precision): number {
  if (precision === 'fp32') return arch.parameterCount * 4;
  if (precision === 'fp16') return arch.parameterCount * 2;
  const embedding = arch.vocabSize * arch.hiddenSize;
  return embedding * 2 + (arch.parameterCount - embedding) * (0.5 + 2 / 32);
}

// Quire's pick for this machine: an 8-bit or wider cache (the int4 cache loses recall: docs/model-spec.md)
// unless only an int4 one fits, then the most context, then the smaller weights.
function pick(options: Omit<CatalogFitOption, 'recommended'>[]): Omit<CatalogFitOption, 'recommended'> | null {
  const usable = options.filter((o) => o.maxTokens > 0);
  const rank = (o: (typeof usable)[number]) => [o.kv === 'int4' ? 0 : 1, o.maxTokens, -o.weightBytes];
  return usable.sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return y[0] - x[0] || y[1] - x[1] || y[2] - x[2];
  })[0] ?? null;
}

export function catalogFit(
  catalog: readonly CatalogModel[],
  memory: PlanningMemory,
  target: ConversionTarget,
  // The engine's prefill chunk (engine-session.ts DEFAULT_PREFILL_CHUNK), which bounds the activations planned.
  // Whether the engine's path copies the cache out of every step on this target (engine-session.ts plannedCacheCopy).
  // The speed of this computer's last download where one was measured (download-speed.ts).
  { prefillChunk, cacheCopied = false, measuredDownloadSpeed = null }: { prefillChunk: number; cacheCopied?: boolean; measuredDownloadSpeed?: number | null },
): CatalogFitReport {
  const downloadBytesPerSecond = measuredDownloadSpeed ?? ASSUMED_DOWNLOAD_BYTES_PER_SECOND;
  const models = catalog.map((model) => {
    const { architecture: arch } = model;
    const seen = new Set<string>();
    const options = conversionChoices(target).flatMap(({ precision, kv }) => {
      const key = `${precision}/${kv}`;
      if (seen.has(key)) return [];
      seen.add(key);
      // The activations an install would convert to (its default io for this weight and cache on this device).
      const choice = resolveConversion({ precision, kv }, target);
      const weightBytes = convertedWeightBytes(arch, choice.precision);
      const dims: ModelDims = { ...arch, weightBytes, ioDtype: choice.io };
      const plan = planFit(dims, choice.kv, { availableBytes: memory.availableBytes, context: model.nativeContext, prefillChunk, onHost: target.provider === 'cpu', cacheCopied });
      // The download and the converted folder are on the disk together until the conversion swaps in.
      return [{ precision: choice.precision, kv: choice.kv, weightBytes, maxTokens: Math.min(model.nativeContext, plan.maxContext), diskBytes: model.downloadBytes + weightBytes }];
    });
    // Widest cache first, as the cards list them.
    options.sort((a, b) => KV_DTYPES.indexOf(a.kv) - KV_DTYPES.indexOf(b.kv));
    const best = pick([...options]);
    return {
      id: model.id,
      downloadSeconds: model.downloadBytes / downloadBytesPerSecond,
      convertSeconds: model.downloadBytes / CONVERT_BYTES_PER_SECOND,
      options: options.map((o) => ({ ...o, recommended: o === best })),
    };
  });
  return { memory, downloadBytesPerSecond, downloadSpeedMeasured: measuredDownloadSpeed !== null, convertBytesPerSecond: CONVERT_BYTES_PER_SECOND, models };
}
