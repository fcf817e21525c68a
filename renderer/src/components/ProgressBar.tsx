// A determinate bar when the fraction is known, an indeterminate one (animated) when it is not.
export function ProgressBar({ fraction, label }: { fraction: number | null; label: string }) {
  return (
    <span className={`bar${fraction === null ? ' indeterminate' : ''}`} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={fraction === null ? undefined : Math.round(fraction * 100)}>
      {fraction === null ? null : <span className="bar-fill" style={{ width: `${fraction * 100}%` }} />}
    </span>
  );
}
