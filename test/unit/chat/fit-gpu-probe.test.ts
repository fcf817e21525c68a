// The fit check under `auto` plans against the GPU the engine would pick, which the native addon probes (Vulkan,
// and nvidia-smi beside NVIDIA cards): tens to hundreds of milliseconds with a real driver. The app's process
// reads it in a worker thread and a child process, never on its event loop (issue 21 point 2): through the listing
// and the first fit, the addon is never opened in this thread, and the plan is the one the probe's answer gives.
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { planningMemory } from '../../../electron/node/engine/device-memory.ts';
import { webgpuAdapter } from '../../../electron/node/engine/gpu-adapter.ts';
import { entryPoints } from '../../../electron/node/entry-points.ts';
import { tinyModel } from '../engine/tiny-model.ts';
import { callRouter } from '../router-call.ts';

const require = createRequire(import.meta.url);
const addonOpenedHere = () => require.cache[entryPoints.nativeAddon] !== undefined;
let services: AppServices | undefined;

afterAll(async () => {
  await services?.close();
});

describe('the fit check and the GPU probe', () => {
  it.skipIf(!existsSync(entryPoints.nativeAddon))('reads the GPUs off the event loop: the listing and the first fit never open the addon in this thread', async () => {
    // The setup's conversion would open the addon here for its BLAKE3 checksums: it converts with the
    // TypeScript codecs and hash (the same bytes), so what is watched is the app's listing and fit alone.
    process.env.QUIRE_CONVERT_NATIVE = '0';
    const modelDir = await tinyModel({ originalContext: 1024, factor: 4, seed: 5 }, { context: 4096 }).finally(() => delete process.env.QUIRE_CONVERT_NATIVE);
    services = createAppServices({
      mode: 'cli',
      root: mkdtempSync(join(tmpdir(), 'quire-fit-probe-')),
      modelDir,
      engineProcess: () => {
        throw new Error('the fit check must not start the engine');
      },
    });
    await callRouter(services, 'settings.update', { provider: 'auto' });
    expect(addonOpenedHere()).toBe(false);
    await callRouter(services, 'library.list', {});
    const { id } = await callRouter(services, 'library.import', { name: 'tide.txt', bytes: new TextEncoder().encode('The keeper wrote the tide tables by hand.\n'.repeat(40)) });
    expect((await callRouter(services, 'library.list', {}))[0].fit).not.toBeNull();
    const plan = await callRouter(services, 'chat.fit', { documentIds: [id] });
    expect(addonOpenedHere()).toBe(false);
    // The worker's answer is this thread's from now on: asking again opens nothing here, and the plan used it.
    expect(webgpuAdapter().reason).toBeTruthy();
    expect(plan.memory).toEqual({ ...planningMemory('auto'), availableBytes: plan.memory.availableBytes });
    expect(addonOpenedHere()).toBe(false);
  });
});
