// @vitest-environment jsdom
// Issue 25 points 2 and 3: the catalog says what runs on this computer, and a book that does not fit is shown
// the way forward: the catalog models that would hold it (one click to their card), or a remote engine.
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { CatalogEntry, type DocumentSummary, type InstalledModel } from '../../electron/common/contract.ts';
import { catalogFit } from '../../electron/node/catalog-fit.ts';
import { formatTokens } from '../../electron/common/format.ts';
import { loadCatalog } from '../../models/catalog.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const catalog = loadCatalog().map((m) => CatalogEntry.parse(m));
const nano: InstalledModel = { id: 'nano', name: 'quire-nano', dir: '/m', precision: 'fp32', ioDtype: 'fp32', kvDtype: 'fp32', contextTokens: 4096, kvBytesPerToken: 4096, bytes: 1, demo: true, promptStyle: 'bare', generation: { greedy: true, temperature: 0, topP: 1 } };
const book: DocumentSummary = { id: 'doc-1', title: 'Pride and Prejudice', format: 'txt', chars: 1_600_000, tokens: 400_661, pages: 0, importedAt: new Date(0).toISOString(), warnings: [] };

describe('the catalog on this computer', () => {
  it('each card gives the tokens that fit here per cache, the disk and the time, and one card is recommended', async () => {
    const backend = fakeBackend({ installed: [nano], catalog });
    await mountApp(backend);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: /Models/ })));
    const here = await screen.findByTestId('here-ultralong-8b-1m');
    const expected = catalogFit(loadCatalog(), backend.state.memory, { provider: 'cpu' }, { prefillChunk: 512 }).models.find((m) => m.id === 'ultralong-8b-1m')!;
    const int8 = expected.options.find((o) => o.precision === 'int4' && o.kv === 'int8')!;
    const list = within(here).getByRole('list', { name: /with INT4 weights/ });
    expect(list.textContent).toContain(`≈ ${formatTokens(int8.maxTokens)} tokens with an INT8 cache`);
    expect(list.textContent).toMatch(/tokens with an INT8 cache/);
    expect(here.textContent).toMatch(/Disk needed \d+(\.\d)? GB \(download and converted model\) · download ≈ \d+ min/);
    expect(here.textContent).toContain('Recommended here: INT4 weights with an INT8 cache');
    // The 1M, 2M and 4M cards no longer read alike: the 4M one says what its full context would take.
    expect(screen.getAllByText('Recommended for this computer')).toHaveLength(1);
    expect(screen.getByText('Recommended for this computer').closest('li')!.textContent).toContain('UltraLong-8B 1M Instruct');
  });

  // Pride and Prejudice on the demo model: 400,661 tokens against its 4K context.
  const refusal = { documentTokens: 400_661, answerRoom: 512, fitsContext: false, fits: false, reason: 'longer than the 4K context', choices: [], advice: [{ kind: 'documents' as const, label: 'Choose fewer or shorter documents' }] };

  it('a book that does not fit names the models that would hold it here, and one click shows that card', async () => {
    const backend = fakeBackend({ installed: [nano], documents: [book], catalog });
    backend.state.memory = { device: 'system memory (RAM)', availableBytes: 64e9, source: 'free RAM' };
    backend.state.localFit = refusal;
    const store = await mountApp(backend);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Ask' })));
    const way = await screen.findByRole('group', { name: 'What would hold these documents' });
    expect(way.textContent).toContain('these would hold 401,173 tokens');
    // Each UltraLong holds 400K tokens in 64 GB with some choice; Llama 3.1's 128K context never does.
    for (const name of ['UltraLong-8B 1M Instruct', 'UltraLong-8B 2M Instruct', 'UltraLong-8B 4M Instruct']) expect(way.textContent).toContain(name);
    expect(way.textContent).not.toContain('Llama 3.1 8B Instruct');
    expect(way.textContent).toMatch(/INT4 weights, INT8 cache: ≈ [\d.]+K tokens here · download 32\.1 GB \(≈ \d+ min/);
    await act(async () => fireEvent.click(within(way).getByRole('button', { name: 'Show UltraLong-8B 1M Instruct in the catalog' })));
    expect(store.getState().view).toBe('models');
    await waitFor(() => expect(screen.getByRole('heading', { level: 1, name: 'Models' })).toBeTruthy());
    const card = screen.getByText('UltraLong-8B 1M Instruct', { selector: 'strong' }).closest('li')!;
    expect(card.getAttribute('aria-current')).toBe('true');
  });

  it('where nothing here holds it, a remote engine serving that context is one click, else the advice to add one', async () => {
    const backend = fakeBackend({ installed: [nano], documents: [book], catalog });
    backend.state.memory = { device: 'system memory (RAM)', availableBytes: 8e9, source: 'free RAM' };
    backend.state.localFit = refusal;
    await mountApp(backend);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Ask' })));
    let way = await screen.findByRole('group', { name: 'What would hold these documents' });
    expect(way.textContent).toContain('No catalog model holds 401,173 tokens');
    expect(way.textContent).toContain('A remote engine serving at least 401.2K tokens of context can');
    await act(async () => fireEvent.click(within(way).getByRole('button', { name: 'Add one in Settings → Engines' })));
    expect(screen.getByRole('heading', { level: 1, name: 'Settings' })).toBeTruthy();

    backend.state.engines.push({ id: 'e1', name: 'Lab cluster', baseUrl: 'https://gpu.example.org/v1', host: 'gpu.example.org', hasKey: false, insecure: false, protection: 'user-only-file', createdAt: new Date(0).toISOString() });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: /Library/ })));
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Ask' })));
    way = await screen.findByRole('group', { name: 'What would hold these documents' });
    await waitFor(() => expect(within(way).getByRole('button', { name: 'Ask Lab cluster' })).toBeTruthy());
    expect(way.textContent).toContain('on gpu.example.org serves 1M tokens of context');
    await act(async () => fireEvent.click(within(way).getByRole('button', { name: 'Ask Lab cluster' })));
    expect(backend.state.log.filter((c) => c.name === 'chat.fit').at(-1)!.payload).toMatchObject({ engine: { engineId: 'e1' } });
  });
});
