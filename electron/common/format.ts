// Token counts as people read them (4K, 1M, 3.7K), in the UI and in the reasons the backend gives.
export function formatTokens(tokens: number): string {
  if (tokens >= 1_048_576 && tokens % 1_048_576 === 0) return `${tokens / 1_048_576}M`;
  if (tokens >= 1_000_000) return `${(tokens / 1_000_000).toFixed(1)}M`;
  if (tokens >= 1024 && tokens % 1024 === 0) return `${tokens / 1024}K`;
  if (tokens >= 1000) return `${(tokens / 1000).toFixed(1)}K`;
  return String(tokens);
}

// A token count as people type it: "131072", "131,072", or formatTokens' "128K" / "1M" (K and M of 1024, as
// contexts are sized); null for anything else.
export function parseTokens(text: string): number | null {
  const match = /^\s*(\d[\d,_]*)\s*([kKmM]?)\s*$/.exec(text);
  if (!match) return null;
  const value = Number(match[1].replace(/[,_]/g, '')) * ({ k: 1024, m: 1_048_576 }[match[2].toLowerCase()] ?? 1);
  return Number.isSafeInteger(value) ? value : null;
}

// Sizes as people read them, in the UI and in the reasons the backend gives: SI units (1 kB = 1000 B), as file
// managers and disk makers count, so a 139.4 MB file reads "139 MB" here and in the file manager alike. Three
// figures at most: 7.5 GB, 42.0 MB, 139 MB.
const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const figure = unit === 0 || Math.abs(value) >= 100 ? String(Math.round(value)) : value.toFixed(1);
  return `${figure} ${BYTE_UNITS[unit]}`;
}
