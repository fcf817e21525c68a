import type { DatabaseStatus } from '../../../electron/common/contract.ts';
import type { SliceCreator } from './app-store.ts';

export type RecoverySource = NonNullable<DatabaseStatus['staged']>;

export interface DatabaseSlice {
  // What the backend found at start: a damaged database is open read-only (database.status).
  database: DatabaseStatus | null;
  // The recovery being staged now, and why the last one failed.
  recovering: RecoverySource | null;
  recoverError: string | null;
  loadDatabase(): Promise<void>;
  recoverDatabase(from: RecoverySource): Promise<void>;
}

export const createDatabaseSlice: SliceCreator<DatabaseSlice> = (set, get, api) => ({
  database: null,
  recovering: null,
  recoverError: null,
  async loadDatabase() {
    set({ database: await api.call('database.status', {}) });
  },
  async recoverDatabase(from) {
    if (get().recovering) return;
    set({ recovering: from, recoverError: null });
    try {
      set({ database: await api.call('database.recover', { from }) });
    } catch (error) {
      set({ recoverError: (error as Error).message });
    } finally {
      set({ recovering: null });
    }
  },
});

// Why a write cannot be made now (the screens disable it and say so), or null when it can.
export function readOnlyReason(state: Pick<DatabaseSlice, 'database'>): string | null {
  return state.database?.damaged ? "Quire's database is damaged and open read-only: nothing new can be saved until it is recovered." : null;
}
