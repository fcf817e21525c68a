// The database's health: whether it is damaged (the app then runs read-only on what could be read, db.ts), and
// the recovery the user chooses — keep what was read, or restore the newest good backup — staged for the next
// start (db-recovery.ts), the damaged file kept aside.
import type { DatabaseStatus } from '../../common/contract.ts';
import { backupTakenAt, damageMessage, databaseHealth, stageRecovery } from '../db-recovery.ts';
import { databasePath } from '../paths.ts';
import type { AppContext, DomainHandlers } from './context.ts';

export function databaseHandlers({ root }: AppContext): DomainHandlers<'database.status' | 'database.recover'> {
  const path = databasePath(root);
  const status = (): DatabaseStatus => {
    const health = databaseHealth(path);
    return {
      damaged: health.damaged,
      message: damageMessage(path),
      backup: health.backup,
      backupTime: health.backup ? backupTakenAt(health.backup).toISOString() : null,
      staged: health.staged,
    };
  };
  return {
    'database.status': () => status(),
    'database.recover': ({ from }) => {
      stageRecovery(path, from);
      return status();
    },
  };
}
