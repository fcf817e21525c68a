import type { EngineRequest } from '../../../electron/node/engine/engine-protocol.ts';
import { forkEngineProcess, type EngineProcess } from '../../../electron/node/runtime/engine-host.ts';

// The engine's process as the app starts it, with every request it is sent shown to `onSend` first: what the
// runtime tests count and the scale bench times.
export function recordingEngine(onSend: (message: EngineRequest) => void): () => EngineProcess {
  return () => {
    const child = forkEngineProcess();
    return {
      onMessage: child.onMessage.bind(child),
      onExit: child.onExit.bind(child),
      stop: child.stop.bind(child),
      kill: child.kill.bind(child),
      send: (message: EngineRequest) => {
        onSend(message);
        child.send(message);
      },
    };
  };
}
