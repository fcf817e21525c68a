import type { DatabaseStatus } from '../../../electron/common/contract.ts';
import { ConfirmButton } from '../components/ConfirmButton.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { useApp } from '../store/context.tsx';
import type { RecoverySource } from '../store/database-slice.ts';

// A damaged database across the whole app, for as long as it lasts: it cannot be dismissed, since every save
// is refused until the user chooses a way out (the backend stages it for the next start).
export function DatabaseBanner() {
  const database = useApp((s) => s.database);
  const recovering = useApp((s) => s.recovering);
  const recoverError = useApp((s) => s.recoverError);
  const recover = useApp((s) => s.recoverDatabase);
  const mode = useApp((s) => s.info?.mode);
  if (!database?.damaged) return null;
  const backupTime = database.backupTime ? formatTime(database.backupTime) : null;
  return (
    <section className="db-banner" role="alert" aria-labelledby="db-banner-title">
      <div className="db-banner-text">
        <strong id="db-banner-title">Quire&apos;s database is damaged; it is open read-only so nothing more is lost.</strong>
        <span>You can read your documents and conversations, but nothing new can be saved until you choose how to recover.</span>
        {database.message ? (
          <details>
            <summary>What Quire found</summary>
            <span className="subtle">{database.message}</span>
          </details>
        ) : null}
      </div>
      <div className="db-banner-actions" aria-live="polite">
        {database.staged ? (
          <p role="status">
            {staged(database.staged, backupTime)} {restartWords(mode)} The damaged file is kept aside.
          </p>
        ) : recovering ? (
          <div role="status" className="db-banner-progress">
            <span>{recovering === 'backup' ? `Preparing the backup of ${backupTime}…` : 'Preparing what could be read…'}</span>
            <ProgressBar fraction={null} label="Recovery progress" />
          </div>
        ) : (
          <>
            {backupTime ? (
              <RecoverButton
                from="backup"
                label={`Restore the backup of ${backupTime}`}
                question={`Replace the library with the backup of ${backupTime}? What was saved after it is lost.`}
                onConfirm={recover}
              />
            ) : (
              <span className="subtle">There is no good backup to restore.</span>
            )}
            <RecoverButton
              from="salvage"
              label="Keep what could be read"
              question="Make what could be read the new database? What was on the damaged pages is lost."
              onConfirm={recover}
            />
          </>
        )}
        {recoverError ? <p className="db-banner-error">{recoverError}</p> : null}
      </div>
    </section>
  );
}

function RecoverButton({ from, label, question, onConfirm }: { from: RecoverySource; label: string; question: string; onConfirm: (from: RecoverySource) => Promise<void> }) {
  return (
    <ConfirmButton className="button small" label={label} question={question} confirm={from === 'backup' ? 'Restore' : 'Keep it'} onConfirm={() => void onConfirm(from)}>
      {label}
    </ConfirmButton>
  );
}

function staged(from: NonNullable<DatabaseStatus['staged']>, backupTime: string | null): string {
  return from === 'backup' ? `Ready: the backup of ${backupTime} replaces the damaged database when Quire starts again.` : 'Ready: what could be read becomes the database when Quire starts again.';
}

// The desktop app is quit and opened again; the browser mode's server is started again from its terminal.
function restartWords(mode: string | undefined): string {
  return mode === 'browser' ? 'Stop quire serve, start it again and open the link it prints.' : 'Quit Quire and open it again.';
}

function formatTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
