// Helper processes with a message channel: the engine host and the document parser each run in one, so a crash,
// a runaway allocation or a hostile file costs that process, and all its memory goes back to the system when it
// ends. Plain Node forks a child process; the desktop app starts an Electron utilityProcess instead
// (electron/main/utility-process.ts), since its fuses forbid running Electron as Node. Messages are structured
// clones either way ('advanced' serialization), so typed arrays cross as they are.
import { fork, type ChildProcess } from 'node:child_process';

export interface ServiceProcess<In, Out> {
  send(message: In): void;
  onMessage(listener: (message: Out) => void): void;
  // `reason`: the exit code, or the signal that ended it.
  onExit(listener: (reason: string) => void): void;
  // Ends the process once it has finished what it was doing; resolves when it is gone.
  stop(): Promise<void>;
  kill(): void;
}

export interface LaunchOptions {
  // For the system's process list (utilityProcess's service name).
  name: string;
  // The V8 heap cap of the process, in MB.
  heapMb?: number;
  // The operating system's cap on the process's whole writable memory (heap, ArrayBuffers, native buffers), in
  // MB, where the launcher can set one; past it an allocation fails and the process ends.
  memoryMb?: number;
  // Discards the process's own output (library chatter must not reach the CLI's stdout or stderr).
  quiet?: boolean;
  env?: NodeJS.ProcessEnv;
}

export type ProcessLauncher = <In, Out>(entry: string, options: LaunchOptions) => ServiceProcess<In, Out>;

// Flags of this process a child must not inherit: the code of a host started with `--input-type=module -e CODE`
// (scripts, tests), which the child would run instead of its entry, and the host's own heap cap.
function inheritedFlags(): string[] {
  const flags: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (['-e', '--eval', '-p', '--print'].includes(arg)) i++;
    else if (!/^--(eval|print|input-type|max-old-space-size)=/.test(arg)) flags.push(arg);
  }
  return flags;
}

// The V8 heap cap leaves out ArrayBuffers and native buffers (a decrypted, inflated PDF stream took 3.6 GB
// past a 2 GB heap cap). On Linux and macOS the child is started through the shell's `ulimit -d`, RLIMIT_DATA:
// since Linux 4.7 it counts every private writable mapping (heap pages, malloc, ArrayBuffers), while V8's
// reserved address space, never written, costs nothing against it (an address-space limit, RLIMIT_AS, would
// fail WebAssembly's reservations). The shell execs Node in its place, so the IPC channel and the process id
// are the child's own; if the limit cannot be set the child still starts. Windows has no such shell (a job
// object would do it, out of Node's reach), and there only the heap cap holds.
const LIMIT_SHELL = '/bin/sh';

function memoryCapped(execArgv: string[], memoryMb: number | undefined): { execPath: string; execArgv: string[] } {
  if (!memoryMb || process.platform === 'win32') return { execPath: process.execPath, execArgv };
  const script = 'ulimit -d "$1" 2>/dev/null; shift; exec "$@"';
  return { execPath: LIMIT_SHELL, execArgv: ['-c', script, 'quire-limit', String(memoryMb * 1024), process.execPath, ...execArgv] };
}

export const forkProcess: ProcessLauncher = <In, Out>(entry: string, { heapMb, memoryMb, quiet, env }: LaunchOptions) =>
  childService<In, Out>(
    fork(entry, [], {
      serialization: 'advanced',
      env: env ?? process.env,
      ...memoryCapped([...inheritedFlags(), ...(heapMb ? [`--max-old-space-size=${heapMb}`] : [])], memoryMb),
      stdio: quiet ? ['ignore', 'ignore', 'ignore', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );

// Any child process running a service script with an IPC channel (forked, or started under a wrapper).
export function childService<In, Out>(child: ChildProcess): ServiceProcess<In, Out> {
  let exited = false;
  child.once('exit', () => (exited = true));
  // A child that is gone when a message is sent: its exit says so, not an unhandled 'error' event.
  child.on('error', () => undefined);
  return {
    send: (message) => void child.send(message as object),
    onMessage: (listener) => void child.on('message', (message) => listener(message as Out)),
    onExit: (listener) => void child.on('exit', (code, signal) => listener(String(signal ?? code))),
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
      }),
    kill: () => void child.kill('SIGKILL'),
  };
}

interface UtilityParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

// In the helper: the channel to whichever started it (a utilityProcess's parent port, or fork's IPC), or null when
// the script was merely imported. A forked helper ends when its parent lets go of it.
export function parentChannel<In, Out>(entryFile: string): { on(listener: (message: In) => void): void; send(message: Out): void } | null {
  const port = (process as unknown as { parentPort?: UtilityParentPort }).parentPort;
  if (port) return { on: (listener) => port.on('message', (event) => listener(event.data as In)), send: (m) => port.postMessage(m) };
  if (!process.send || process.argv[1] !== entryFile) return null;
  process.on('disconnect', () => process.exit(0));
  return { on: (listener) => process.on('message', (m) => listener(m as In)), send: (m) => process.send!(m) };
}
