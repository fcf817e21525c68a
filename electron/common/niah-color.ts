// A needle-in-a-haystack cell's colour, red (none found) through yellow to green (all found), like
// matplotlib's RdYlGn at its ends and middle: the CLI's PNG and the app's chart use the same scale.
const STOPS = [
  [215, 48, 39],
  [254, 224, 139],
  [26, 152, 80],
] as const;

export function accuracyColor(accuracy: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, accuracy)) * 2;
  const i = Math.min(1, Math.floor(t));
  const f = t - i;
  const [a, b] = [STOPS[i], STOPS[i + 1]];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}
