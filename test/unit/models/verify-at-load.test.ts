// Issue 23 point 1: a model whose files changed since they were verified is verified in full when it loads; the
// question waits on that check, so its progress (and its verdict on damaged files) reaches the UI as
// models.verifyProgress, through the real engine process.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, statSync, utimesSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventPayload } from '../../../electron/common/contract.ts';
import { createAppServices } from '../../../electron/node/app-services.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';
import { callRouter } from '../router-call.ts';

describe('the check of changed weights at load', () => {
  it('streams its progress as models.verifyProgress while a question waits, and says when it found damage', { timeout: 180_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-verify-load-'));
    const dir = await installTinyModel(root, 'tiny-load');
    const services = createAppServices({ mode: 'cli', root });
    const checks: EventPayload<'models.verifyProgress'>[] = [];
    services.bus.subscribe((name, payload) => name === 'models.verifyProgress' && checks.push(payload as EventPayload<'models.verifyProgress'>));
    try {
      await callRouter(services, 'settings.update', { answerTokens: 16, contextTokens: 4096 });
      const doc = await callRouter(services, 'library.import', { name: 'lease.txt', bytes: new TextEncoder().encode('Clause 1: the tenant shall keep the garden tidy.') });
      const { id } = await callRouter(services, 'chat.create', { documentIds: [doc.id] });

      // A write through the file system (here only a new modification time): verified in full before use.
      const data = join(dir, 'model.onnx.data');
      const later = new Date(Date.now() + 60_000);
      utimesSync(data, later, later);
      await callRouter(services, 'chat.ask', { conversationId: id, question: 'Who keeps the garden?' });
      expect(checks.length).toBeGreaterThan(0);
      const total = checks[0]!.totalBytes;
      expect(total).toBeGreaterThanOrEqual(statSync(data).size);
      expect(checks.every((c) => c.id === 'tiny-load' && c.atLoad === true && c.totalBytes === total && c.error === undefined)).toBe(true);
      expect(checks.at(-1)!.doneBytes).toBe(total);

      // Damaged bytes: the question is refused and the check says so, naming the file.
      checks.length = 0;
      await services.runtime.close();
      const fd = openSync(data, 'r+');
      writeSync(fd, randomBytes(64 * 1024), 0, 64 * 1024, Math.floor(statSync(data).size / 3));
      closeSync(fd);
      await expect(callRouter(services, 'chat.ask', { conversationId: id, question: 'And the hedge?' })).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
      expect(checks.at(-1)).toMatchObject({ id: 'tiny-load', atLoad: true, error: expect.stringMatching(/model\.onnx\.data .*convert the model again/) });
    } finally {
      await services.close();
    }
  });
});
