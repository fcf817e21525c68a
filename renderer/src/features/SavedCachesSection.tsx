import { useEffect, useState } from 'react';
import { formatBytes } from '../../../electron/common/format.ts';
import { useApp } from '../store/context.tsx';

// Limits a user picks from, in the units their file manager shows (SI). A 1M-token UltraLong-8B cache is
// 137 GB, a 128K one 17 GB.
const LIMITS = [0, 16e9, 32e9, 64e9, 128e9, 256e9, 512e9, 1e12, 2e12];

// Settings → Saved document caches: how much disk what the model has read may keep, what it keeps now, and a
// way to give that space back.
export function SavedCachesSection() {
  const limit = useApp((s) => s.settings?.savedCacheBytes);
  const usage = useApp((s) => s.savedCaches);
  const load = useApp((s) => s.loadSavedCaches);
  const clear = useApp((s) => s.clearSavedCaches);
  const update = useApp((s) => s.updateSettings);
  const [confirming, setConfirming] = useState(false);
  useEffect(() => void load(), [load]);
  if (limit === undefined) return null;
  const choices = LIMITS.includes(limit) ? LIMITS : [...LIMITS, limit].sort((a, b) => a - b);
  // The disk, not the limit, is what holds them back.
  const diskBound = usage !== null && limit > 0 && usage.roomBytes < limit;
  return (
    <fieldset className="setting" data-testid="saved-caches">
      <legend>Saved document caches</legend>
      <select aria-label="Space for saved caches" value={limit} onChange={(e) => void update({ savedCacheBytes: Number(e.target.value) })}>
        {choices.map((bytes) => (
          <option key={bytes} value={bytes}>{bytes === 0 ? 'Keep none' : `Up to ${formatBytes(bytes)}`}</option>
        ))}
      </select>
      <p className="hint">
        What the model has read of each document is kept on disk, so its next question starts at once, also after a restart. Beyond this space the least recently used go first; a cache larger than all of it is not kept (the answer says so).
      </p>
      {usage ? (
        <p className="hint" data-testid="saved-caches-usage">
          {usage.files === 0 ? 'None saved now' : `${usage.files} saved, ${formatBytes(usage.usedBytes)}`}
          {usage.diskFreeBytes !== null ? ` · ${formatBytes(usage.diskFreeBytes)} free on this disk` : ''}
          {diskBound ? ` · the disk leaves room for ${formatBytes(usage.roomBytes)} (a tenth of it is always kept free)` : ''}
        </p>
      ) : null}
      {usage && usage.files > 0 ? (
        <div className="card-actions">
          {confirming ? (
            <>
              <button type="button" className="button small danger" onClick={() => void clear().then(() => setConfirming(false))}>
                Delete {usage.files} ({formatBytes(usage.usedBytes)})
              </button>
              <button type="button" className="link-button" onClick={() => setConfirming(false)}>Keep them</button>
            </>
          ) : (
            <button type="button" className="button small" onClick={() => setConfirming(true)}>Delete saved caches…</button>
          )}
        </div>
      ) : null}
    </fieldset>
  );
}
