// The last download's speed, kept for the catalog's estimates (issue 25 point 3).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogFit } from '../../../electron/node/catalog-fit.ts';
import { measuredDownloadSpeed, recordDownloadSpeed } from '../../../electron/node/download-speed.ts';
import { loadCatalog } from '../../../models/catalog.ts';

describe('the measured download speed', () => {
  it('is kept across restarts, ignored when nothing moved or the file is damaged, and replaces the assumed speed', () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-speed-'));
    expect(measuredDownloadSpeed(root)).toBeNull();
    recordDownloadSpeed(root, 0);
    expect(measuredDownloadSpeed(root)).toBeNull();
    recordDownloadSpeed(root, 12.5e6);
    expect(measuredDownloadSpeed(root)).toBe(12.5e6);
    const memory = { device: 'system memory (RAM)', availableBytes: 24e9, source: 'free RAM' };
    const report = catalogFit(loadCatalog(), memory, { provider: 'cpu' }, { prefillChunk: 512, measuredDownloadSpeed: measuredDownloadSpeed(root) });
    expect(report).toMatchObject({ downloadBytesPerSecond: 12.5e6, downloadSpeedMeasured: true });
    expect(report.models[0].downloadSeconds).toBeCloseTo(loadCatalog()[0].downloadBytes / 12.5e6);
    writeFileSync(join(root, 'download-speed.json'), '{"bytesPerSecond": "fast"');
    expect(measuredDownloadSpeed(root)).toBeNull();
    expect(catalogFit(loadCatalog(), memory, { provider: 'cpu' }, { prefillChunk: 512 }).downloadSpeedMeasured).toBe(false);
  });
});
