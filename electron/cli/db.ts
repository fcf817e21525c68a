import { QuireError } from '../common/errors.ts';
import { closeDatabase, openDatabase } from '../node/db.ts';
import { applyStagedRecovery, damageMessage, databaseHealth, stageRecovery, type RecoverySource } from '../node/db-recovery.ts';
import { databasePath, dataDir } from '../node/paths.ts';
import { commandGroup, type CliIo, type Subcommand } from './command.ts';

// `quire db status|salvage|restore`: the app database's check, and the two ways out of a damaged one.

function check(): string {
  const path = databasePath(dataDir());
  closeDatabase(openDatabase(path));
  return path;
}

function recover(source: RecoverySource): Subcommand {
  return {
    usage: `quire db ${source}`,
    async run(argv, io: CliIo) {
      if (argv.length) throw new QuireError('USAGE', `quire db ${source} takes no arguments`);
      const path = check();
      if (!databaseHealth(path).damaged) throw new QuireError('INVALID_INPUT', `the database ${path} passed its check; there is nothing to recover`);
      stageRecovery(path, source);
      applyStagedRecovery(path);
      io.stdout(`quire: the database is now ${source === 'salvage' ? 'what could be read from the damaged one' : 'its newest good backup'}; the damaged file is kept beside it as quire.db.damaged-*\n`);
      return 0;
    },
  };
}

export const db = commandGroup('db', "check Quire's database, or recover a damaged one", {
  status: {
    usage: 'quire db status',
    async run(_argv, io) {
      const path = check();
      const message = damageMessage(path);
      io.stdout(message ? `${message}\n` : `quire: the database ${path} passed its check\n`);
      return message ? 1 : 0;
    },
  },
  salvage: recover('salvage'),
  restore: recover('backup'),
});
