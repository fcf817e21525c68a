import { utilityProcess } from 'electron';
import type { EngineProcess } from '../node/engine/engine-host.ts';
import type { EngineReply } from '../node/engine/engine-protocol.ts';
import { entryPoints } from '../node/entry-points.ts';

// The engine in an Electron utilityProcess: the app's fuses forbid running Electron as plain Node, so
// child_process.fork is not available. Messages are structured-cloned, logits arrive as Float32Array.
export function utilityEngineProcess(): EngineProcess {
  const child = utilityProcess.fork(entryPoints.engineHost, [], { serviceName: 'Quire engine', stdio: 'inherit' });
  let exited = false;
  child.once('exit', () => (exited = true));
  return {
    send: (message) => child.postMessage(message),
    onMessage: (listener) => void child.on('message', (message) => listener(message as EngineReply)),
    onExit: (listener) => void child.on('exit', (code) => listener(String(code))),
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
    kill: () => void child.kill(),
  };
}
