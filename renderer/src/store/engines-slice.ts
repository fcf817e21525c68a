import type { CallInput, RemoteEngine, RemoteModelInfo } from '../../../electron/common/contract.ts';
import type { SliceCreator } from './app-store.ts';

// What "Test" on an engine found: the models it serves, or why it could not say.
export interface EngineCheck {
  running: boolean;
  models: RemoteModelInfo[] | null;
  error: string | null;
}

export interface EnginesSlice {
  engines: RemoteEngine[];
  engineChecks: Record<string, EngineCheck>;
  // Why the last add was refused (the form keeps what the user typed and shows it).
  engineAddError: string | null;
  loadEngines(): Promise<void>;
  // True when the engine was added (the server listed its models with that URL and key).
  addEngine(input: CallInput<'engines.add'>): Promise<boolean>;
  testEngine(id: string): Promise<void>;
  setEngineKey(id: string, apiKey: string | null): Promise<boolean>;
  removeEngine(id: string): Promise<void>;
  // The context a server runs a model with, stated by the user where the server reports none.
  setEngineContext(id: string, model: string, context: number | null): Promise<boolean>;
}

export const createEnginesSlice: SliceCreator<EnginesSlice> = (set, get, api) => {
  const setCheck = (id: string, check: EngineCheck | null) => {
    const engineChecks = { ...get().engineChecks };
    if (check) engineChecks[id] = check;
    else delete engineChecks[id];
    set({ engineChecks });
  };
  return {
    engines: [],
    engineChecks: {},
    engineAddError: null,
    async loadEngines() {
      set({ engines: await api.call('engines.list', {}) });
    },
    async addEngine(input) {
      set({ engineAddError: null });
      try {
        const { engine, models } = await api.call('engines.add', input);
        set({ engines: [...get().engines, engine] });
        setCheck(engine.id, { running: false, models, error: null });
        return true;
      } catch (error) {
        set({ engineAddError: (error as Error).message });
        return false;
      }
    },
    async testEngine(id) {
      setCheck(id, { running: true, models: get().engineChecks[id]?.models ?? null, error: null });
      try {
        setCheck(id, { running: false, models: await api.call('engines.models', { id }), error: null });
      } catch (error) {
        setCheck(id, { running: false, models: null, error: (error as Error).message });
      }
    },
    async setEngineKey(id, apiKey) {
      try {
        const updated = await api.call('engines.update', { id, apiKey });
        set({ engines: get().engines.map((e) => (e.id === id ? updated : e)) });
        get().notify('info', apiKey ? `${updated.name}: the new key works and is saved.` : `${updated.name}: the key is removed.`);
        return true;
      } catch (error) {
        get().notify('error', (error as Error).message);
        return false;
      }
    },
    async setEngineContext(id, model, context) {
      try {
        setCheck(id, { running: false, models: await api.call('engines.setContext', { id, model, context }), error: null });
        return true;
      } catch (error) {
        get().notify('error', (error as Error).message);
        return false;
      }
    },
    async removeEngine(id) {
      try {
        await api.call('engines.remove', { id });
        set({ engines: get().engines.filter((e) => e.id !== id) });
        setCheck(id, null);
      } catch (error) {
        get().notify('error', (error as Error).message);
      }
    },
  };
};
