// Models: the catalog, installing and removing, verifying a model's files, and what the engine holds now.
import { freemem, totalmem } from 'node:os';
import { QuireError } from '../../common/errors.ts';
import { loadCatalog } from '../../../models/catalog.ts';
import { conversionChoices } from '../../../models/model-spec.ts';
import { throttledProgress, verifyModel } from '../../../models/verify-model.ts';
import { conversionTarget, planningMemory } from '../engine/device-memory.ts';
import { DEFAULT_PREFILL_CHUNK, plannedCacheCopy } from '../engine/engine-session.ts';
import { readGpusFor } from '../engine/provider-choice.ts';
import { catalogFit } from '../catalog-fit.ts';
import { measuredDownloadSpeed } from '../download-speed.ts';
import type { GpuAdapter } from '../engine/gpu-adapter.ts';
import { listInstalledModels } from '../installed-models.ts';
import { modelsDir } from '../paths.ts';
import type { AppContext, DomainHandlers } from './context.ts';

type Models = 'models.catalog' | 'models.catalogFit' | 'models.pausedDownloads' | 'models.choices' | 'models.installed' | 'models.install' | 'models.cancelInstall' | 'models.remove' | 'models.verify' | 'models.engine';

export function modelsHandlers({ root, bus, settings, runtime, installer, engineSettings, providerOverride }: AppContext): DomainHandlers<Models> {
  return {
    'models.catalog': () => loadCatalog(),
    'models.catalogFit': async () => {
      const { provider } = engineSettings();
      await readGpusFor(provider);
      const target = conversionTarget(provider);
      return catalogFit(loadCatalog(), planningMemory(provider), target, { prefillChunk: DEFAULT_PREFILL_CHUNK, cacheCopied: plannedCacheCopy(target.provider), measuredDownloadSpeed: measuredDownloadSpeed(root) });
    },
    'models.pausedDownloads': () => installer.pausedDownloads(),
    'models.choices': async () => {
      const { provider } = settings.get();
      await readGpusFor(provider);
      const target = conversionTarget(provider);
      return { provider: target.provider ?? 'cpu', float16: target.float16 !== false, choices: conversionChoices(target).map(({ precision, io, kv }) => ({ precision, io, kv })) };
    },
    'models.installed': () => listInstalledModels(modelsDir(root)),
    'models.install': async (request) => {
      const { provider } = engineSettings();
      await readGpusFor(provider);
      const model = await installer.install(request, (progress) => bus.emit('models.progress', progress), conversionTarget(provider));
      bus.emit('models.changed', {});
      return model;
    },
    'models.cancelInstall': ({ id }) => ({ cancelled: installer.cancel(id) }),
    'models.remove': async ({ id }) => {
      if (runtime.loaded?.model.id === id) await runtime.close();
      const removed = installer.remove(id);
      if (removed && settings.get().modelId === id) bus.emit('settings.changed', settings.update({ modelId: null }));
      if (removed) bus.emit('models.changed', {});
      return { removed };
    },
    'models.verify': async ({ id }) => {
      const model = listInstalledModels(modelsDir(root)).find((m) => m.id === id);
      if (!model) throw new QuireError('NOT_FOUND', `no installed model ${id}`);
      const result = await verifyModel(model.dir, {
        onProgress: throttledProgress(({ doneBytes, totalBytes }) => bus.emit('models.verifyProgress', { id, doneBytes, totalBytes })),
      });
      if (result.status === 'unchecked') return { status: 'unchecked' as const, message: result.reason };
      return { status: 'ok' as const, message: `all ${result.files.length} files match the checksums recorded when the model was converted` };
    },
    'models.engine': () => {
      const loaded = runtime.loaded;
      return {
        loaded: loaded !== null,
        modelId: loaded?.model.id ?? null,
        path: loaded?.report.path ?? null,
        provider: loaded?.report.provider ?? null,
        // With no model held after the engine died, why (and that it is restarting) rather than nothing.
        reason: loaded?.report.reason ?? runtime.lastExit,
        context: loaded?.report.context ?? null,
        availableBytes: freemem(),
        totalBytes: totalmem(),
        adapter: loaded?.report.adapter ? pickAdapter(loaded.report.adapter) : null,
        check: loaded?.report.check ?? null,
        warning: loaded?.report.warning ?? null,
        providerOverride,
      };
    },
  };
}

function pickAdapter({ name, kind, driver, memoryBytes, freeBytes }: GpuAdapter) {
  return { name, kind, driver, memoryBytes, freeBytes };
}
