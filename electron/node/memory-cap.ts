// The cap on a running process's whole writable memory (RLIMIT_DATA, as service-process.ts sets it through the
// shell for the processes it starts), set from outside: Electron's utilityProcess starts its children itself, with
// no way to give them a limit first. On Linux util-linux's prlimit(1) lowers it by process id (a process may lower
// its own child's limits, soft and hard, without privileges); elsewhere nothing sets it and only the V8 heap cap
// holds. Resolves whether the cap is in place.
import { execFile } from 'node:child_process';

export function capRunningProcess(pid: number, memoryMb: number): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(false);
  const bytes = memoryMb * 1024 * 1024;
  return new Promise((resolve) => {
    execFile('prlimit', ['--pid', String(pid), `--data=${bytes}:${bytes}`], (error) => resolve(error === null));
  });
}
