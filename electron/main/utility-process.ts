import { utilityProcess } from 'electron';
import { capRunningProcess } from '../node/memory-cap.ts';
import type { ProcessLauncher, ServiceProcess } from '../node/service-process.ts';

// A helper process (the engine host, a document parser) as an Electron utilityProcess: the app's fuses forbid
// running Electron as plain Node, so child_process.fork is not available. Messages are structured-cloned.
export const utilityLauncher: ProcessLauncher = <In, Out>(entry: string, { name, heapMb, memoryMb, quiet }: Parameters<ProcessLauncher>[1]): ServiceProcess<In, Out> => {
  const child = utilityProcess.fork(entry, [], {
    serviceName: name,
    stdio: quiet ? 'ignore' : 'inherit',
    execArgv: heapMb ? [`--max-old-space-size=${heapMb}`] : [],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  // Its memory is capped once it runs, before it is given anything to read (memory-cap.ts).
  const ready = memoryMb ? new Promise<unknown>((resolve) => child.once('spawn', () => resolve(capRunningProcess(child.pid!, memoryMb)))) : Promise.resolve();
  return {
    send: (message) => void ready.then(() => child.postMessage(message)),
    onMessage: (listener) => void child.on('message', (message) => listener(message as Out)),
    onExit: (listener) => void child.on('exit', (code) => listener(String(code))),
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
    kill: () => void child.kill(),
  };
};
