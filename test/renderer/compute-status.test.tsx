// @vitest-environment jsdom
// Settings → Compute says what the engine runs on: the provider, the GPU with its memory (or that it is
// unknown), the provider check, a GPU passed over for the model, and a QUIRE_PROVIDER override.
import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const GiB = 2 ** 30;

async function openSettings(backend: ReturnType<typeof fakeBackend>) {
  await mountApp(backend);
  fireEvent.keyDown(window, { key: '4', ctrlKey: true });
  return within(await screen.findByTestId('compute-status'));
}

describe('Settings → Compute', () => {
  it('shows the GPU in use with free and total memory and how the provider check passed', async () => {
    const backend = fakeBackend();
    backend.state.engine = {
      ...backend.state.engine,
      loaded: true,
      modelId: 'tiny',
      path: 'native',
      provider: 'webgpu',
      reason: 'webgpu: WebGPU on NVIDIA GeForce RTX 4090; provider check passed on a 48-token canary',
      context: 4096,
      adapter: { name: 'NVIDIA GeForce RTX 4090', kind: 'discrete', driver: 'NVIDIA 550.54.14', memoryBytes: 24 * GiB, freeBytes: 20 * GiB },
      check: 'passed on a 48-token canary (prefill: cosine 1.000000, max |Δ| 2e-6 (logit spread 3.1))',
    };
    const panel = await openSettings(backend);
    expect(panel.getByText('WEBGPU · native')).toBeTruthy();
    expect(panel.getByText('NVIDIA GeForce RTX 4090')).toBeTruthy();
    expect(panel.getByText('21.5 GB free of 25.8 GB')).toBeTruthy();
    expect(panel.getByText(/^passed on a 48-token canary/)).toBeTruthy();
    expect(panel.queryByRole('status')).toBeNull();
    expect(panel.queryByText(/QUIRE_PROVIDER/)).toBeNull();
  });

  it('says when device memory is unknown, warns about a GPU passed over, and names the QUIRE_PROVIDER override', async () => {
    const backend = fakeBackend();
    backend.state.engine = {
      ...backend.state.engine,
      loaded: true,
      path: 'native',
      provider: 'cpu',
      reason: 'webgpu: WebGPU on Radeon; webgpu failed: …; native addon',
      adapter: { name: 'AMD Radeon RX 7900', kind: 'discrete', driver: 'radv Mesa 24', memoryBytes: null, freeBytes: null },
      warning: 'webgpu not used: webgpu on AMD Radeon RX 7900 computes logits that differ from cpu for this model',
      providerOverride: 'auto',
    };
    const panel = await openSettings(backend);
    expect(panel.getByText('device memory unknown')).toBeTruthy();
    expect(panel.getByRole('status').textContent).toBe('webgpu not used: webgpu on AMD Radeon RX 7900 computes logits that differ from cpu for this model');
    expect(panel.getByText(/QUIRE_PROVIDER is/).textContent).toBe('QUIRE_PROVIDER is auto for this run; it overrides the choice above.');
  });

  it('before a model loads, says the choice is made at the first question', async () => {
    const panel = await openSettings(fakeBackend());
    expect(panel.getByText('Chosen automatically when the first question loads the model')).toBeTruthy();
    expect(panel.queryByText('GPU')).toBeNull();
  });
});
