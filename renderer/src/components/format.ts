import type { SecretProtection } from '../../../electron/common/contract.ts';

// Where a secret the user typed (an API key, the hub token) is kept, to follow "kept".
export const SECRET_KEPT: Record<SecretProtection, string> = {
  'os-keychain': 'sealed with this computer’s keychain, in the data folder',
  'user-only-file': 'in a file of the data folder that only your user account can read',
};
