import type { SecretProtection } from '../../../electron/common/contract.ts';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

// Where a secret the user typed (an API key, the hub token) is kept, to follow "kept".
export const SECRET_KEPT: Record<SecretProtection, string> = {
  'os-keychain': 'sealed with this computer’s keychain, in the data folder',
  'user-only-file': 'in a file of the data folder that only your user account can read',
};
