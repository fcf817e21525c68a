// @vitest-environment jsdom
// A fit whose context is unknown (a remote server that reports none, as transformers serve) says so in the
// server's words, never "fits the 0 context" (issue 26 point 4).
import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { DocumentSummary, InstalledModel } from '../../electron/common/contract.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const model: InstalledModel = { id: 'm', name: 'Model', dir: '/m', precision: 'fp16', ioDtype: 'fp16', kvDtype: 'fp16', contextTokens: 131072, kvBytesPerToken: 131072, bytes: 1, demo: false, promptStyle: 'instructions', generation: { greedy: false, temperature: 0.6, topP: 0.9 } };
const report: DocumentSummary = { id: 'doc-1', title: 'Annual report', format: 'pdf', chars: 5000, tokens: 1200, pages: 12, importedAt: new Date(0).toISOString(), warnings: [] };

describe('the fit box', () => {
  it('gives the reason, not a 0 context, where the context is unknown', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    const reason = "127.0.0.1:8000 does not report quire/quire-nano's context: a prompt too long for it is refused by the server";
    backend.state.localFit = { context: 0, modelContext: 0, reason };
    await mountApp(backend);
    fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
    const fit = await screen.findByTestId('fit');
    expect(fit.textContent).toContain(reason);
    expect(fit.textContent).not.toMatch(/\b0 context/);
  });
});
