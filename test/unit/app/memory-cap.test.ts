// A process Quire did not start itself (Electron's utilityProcess) gets the parser's cap on its whole writable
// memory once it runs (memory-cap.ts): an allocation past the cap fails in that process, not in the machine.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { capRunningProcess } from '../../../electron/node/memory-cap.ts';

const CAP_MB = 384;

describe.skipIf(process.platform !== 'linux')('the memory cap of a running process', () => {
  it('is set by process id, and an ArrayBuffer past it is refused', async () => {
    const child = spawn(process.execPath, [
      '-e',
      `process.stdin.once('data', () => { try { new Uint8Array(${2 * CAP_MB} * 1024 * 1024).fill(1); console.log('allocated'); } catch { console.log('refused'); } process.exit(0); });`,
    ]);
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    const exited = new Promise<[number | null, string | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
    await new Promise((resolve) => child.once('spawn', resolve));
    expect(await capRunningProcess(child.pid!, CAP_MB)).toBe(true);
    const limit = /^Max data size\s+(\d+)\s+(\d+)\s+bytes/m.exec(readFileSync(`/proc/${child.pid}/limits`, 'utf8'));
    expect(limit?.slice(1).map(Number)).toEqual([CAP_MB * 1024 * 1024, CAP_MB * 1024 * 1024]);
    child.stdin.write('go\n');
    const [code, signal] = await exited;
    // Refused in the process, or the process ended by it (as a parser past its cap reads LIMIT_EXCEEDED).
    expect(output.trim() === 'refused' || code !== 0 || signal !== null, `${output} ${code} ${signal}`).toBe(true);
    expect(output).not.toContain('allocated');
  });

  it('says it is not in place for a process that is gone', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid!;
    await new Promise((resolve) => child.once('exit', resolve));
    expect(await capRunningProcess(pid, CAP_MB)).toBe(false);
  });
});
