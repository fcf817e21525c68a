import type { ChatProgress } from '../../../../electron/common/contract.ts';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function progressLabel(progress: ChatProgress | null): string {
  if (!progress) return 'Starting…';
  switch (progress.phase) {
    case 'loading':
      return 'Loading the model…';
    case 'tokenizing':
      return 'Reading the documents…';
    case 'restoring':
      return progress.resumedFrom ? `Resuming the reading from ${resumedPercent(progress)}%…` : 'Loading the documents into the model…';
    case 'prefill': {
      const eta = formatDuration(progress.etaSeconds);
      // A remote server says nothing while it reads: the time it has taken and, from its speed on earlier
      // questions, about how long it will.
      if (progress.elapsedSeconds !== undefined) {
        return `The server is reading ${progress.total.toLocaleString()} tokens · ${formatDuration(progress.elapsedSeconds) || '0 s'}${eta ? ` · about ${eta} left` : ''}`;
      }
      const resumed = progress.resumedFrom ?? 0;
      const reading = `Reading ${(resumed + progress.done).toLocaleString()} of ${(resumed + progress.total).toLocaleString()} tokens`;
      return `${reading}${resumed ? ` (resumed from ${resumedPercent(progress)}%)` : ''} · ${Math.round(progress.tokensPerSecond).toLocaleString()} tokens/s${eta ? ` · ${eta} left` : ''}`;
    }
    case 'generating':
      return 'Writing the answer…';
  }
}

export function progressFraction(progress: ChatProgress | null): number | null {
  if (!progress || progress.phase !== 'prefill' || progress.total <= 0) return null;
  // No estimate yet (a server's first question): the bar runs without a fraction.
  if (progress.elapsedSeconds !== undefined && progress.tokensPerSecond <= 0) return null;
  const resumed = progress.resumedFrom ?? 0;
  return Math.min(1, (resumed + progress.done) / (resumed + progress.total));
}

// How far the stopped reading had come, of the whole prompt (the restoring event's total is the documents').
function resumedPercent(progress: ChatProgress): number {
  const resumed = progress.resumedFrom ?? 0;
  const whole = progress.phase === 'restoring' ? progress.total : resumed + progress.total;
  return Math.floor((100 * resumed) / Math.max(whole, 1));
}
