import type { LoadCheck } from '../store/models-slice.ts';

// How far the check of a model's changed files has read, as the Models screen and the question waiting on it say.
export function loadCheckFraction(check: LoadCheck): number {
  return check.totalBytes > 0 ? Math.min(1, check.doneBytes / check.totalBytes) : 0;
}

export function loadCheckLabel(check: LoadCheck): string {
  return `Checking the model's files… ${Math.floor(loadCheckFraction(check) * 100)}%`;
}
