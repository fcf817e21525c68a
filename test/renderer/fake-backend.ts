import type { CallName, CallOutcome, CatalogEntry, DocumentSummary, InstalledModel, Settings } from '../../electron/common/contract.ts';
import { calls } from '../../electron/common/contract.ts';
import { DEFAULT_SETTINGS } from '../../electron/node/settings.ts';
import type { Transport } from '../../renderer/src/api/client.ts';

// An in-memory backend that speaks the contract (inputs and outputs are validated with the same schemas as
// the real router), so component tests exercise the UI against the real message shapes.
export function fakeBackend(initial: { documents?: DocumentSummary[]; installed?: InstalledModel[]; catalog?: CatalogEntry[] } = {}) {
  const state = {
    settings: { ...DEFAULT_SETTINGS } as Settings,
    documents: [...(initial.documents ?? [])],
    installed: initial.installed ?? [],
    catalog: initial.catalog ?? [],
    log: [] as { name: CallName; payload: unknown }[],
  };
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const handlers: Record<CallName, (payload: never) => unknown> = {
    'app.info': () => ({ name: 'Quire', version: '0.0.0-test', mode: 'browser', platform: 'linux', dataDir: '/tmp/quire' }),
    'settings.get': () => state.settings,
    'settings.update': (patch: Partial<Settings>) => (state.settings = { ...state.settings, ...patch }),
    'models.catalog': () => state.catalog,
    'models.installed': () => state.installed,
    'library.list': () => state.documents,
    'library.import': ({ name, bytes }: { name: string; bytes: Uint8Array }) => {
      const doc: DocumentSummary = {
        id: `doc-${state.documents.length + 1}`,
        title: name.replace(/\.[^.]+$/, ''),
        format: name.split('.').pop() ?? 'txt',
        chars: bytes.length,
        tokens: null,
        pages: 0,
        importedAt: new Date(0).toISOString(),
        warnings: [],
      };
      state.documents.push(doc);
      return doc;
    },
    'library.delete': ({ id }: { id: string }) => {
      state.documents = state.documents.filter((d) => d.id !== id);
      return { deleted: true };
    },
  };
  const transport: Transport = {
    async call(name, payload): Promise<CallOutcome> {
      const input = calls[name].input.parse(payload);
      state.log.push({ name, payload: input });
      return { ok: true, value: calls[name].output.parse(handlers[name](input as never)) };
    },
    on(event, listener) {
      listeners.set(event, (listeners.get(event) ?? new Set()).add(listener));
      return () => listeners.get(event)?.delete(listener);
    },
  };
  return { state, transport };
}
