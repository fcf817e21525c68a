// The Hugging Face token for gated downloads: whether one is saved and how it is protected (never its value).
import { HF_TOKEN_SECRET } from '../secrets.ts';
import type { AppContext, DomainHandlers } from './context.ts';

export function secretsHandlers({ secrets }: AppContext): DomainHandlers<'models.hubToken' | 'models.setHubToken'> {
  const hubToken = () => ({ saved: secrets.has(HF_TOKEN_SECRET), protection: secrets.protection });
  return {
    'models.hubToken': () => hubToken(),
    'models.setHubToken': ({ token }) => {
      secrets.set(HF_TOKEN_SECRET, token);
      return hubToken();
    },
  };
}
