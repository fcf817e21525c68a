import { useEffect } from 'react';
import type { EngineStatus } from '../../../electron/common/contract.ts';
import { useApp } from '../store/context.tsx';

// What the engine runs on, asked again whenever a screen that shows it opens: answers may have loaded the
// model since the app started, and Models and Settings must say the same thing.
export function useEngineStatus(): EngineStatus | null {
  const engine = useApp((s) => s.engine);
  const refresh = useApp((s) => s.refreshEngine);
  useEffect(() => void refresh().catch(() => undefined), [refresh]);
  return engine;
}

// The compute in use, in the words both screens show.
export function computeLabel(engine: EngineStatus, provider: string): string {
  if (engine.loaded) return `${engine.provider?.toUpperCase()} · ${engine.path}`;
  return provider === 'auto' ? 'Chosen automatically when the first question loads the model' : `${provider.toUpperCase()} (set in Settings)`;
}
