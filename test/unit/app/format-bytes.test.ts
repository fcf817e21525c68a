import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../../electron/common/format.ts';

describe('formatBytes: SI units, as a file manager shows sizes', () => {
  it('counts 1000 bytes to the kilobyte', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.0 kB');
    expect(formatBytes(1024)).toBe('1.0 kB');
    expect(formatBytes(139_400_000)).toBe('139 MB');
    expect(formatBytes(42_000_000)).toBe('42.0 MB');
    expect(formatBytes(24 * 2 ** 30)).toBe('25.8 GB');
    expect(formatBytes(64e9)).toBe('64.0 GB');
    expect(formatBytes(2.5e12)).toBe('2.5 TB');
  });

  it('keeps the sign and whole bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(-1500)).toBe('-1.5 kB');
  });
});
