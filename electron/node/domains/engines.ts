// Remote engines (OpenAI-compatible servers): listing, adding, changing, removing, and their models.
import type { AppContext, DomainHandlers } from './context.ts';

type Engines = 'engines.list' | 'engines.add' | 'engines.update' | 'engines.remove' | 'engines.models' | 'engines.setContext';

export function enginesHandlers({ engines }: AppContext): DomainHandlers<Engines> {
  return {
    'engines.list': () => engines.list(),
    'engines.add': (request) => engines.add(request),
    'engines.update': ({ id, ...patch }) => engines.update(id, patch),
    'engines.remove': ({ id }) => ({ removed: engines.remove(id) }),
    'engines.models': ({ id }) => engines.models(id),
    'engines.setContext': ({ id, model, context }) => engines.setContext(id, model, context),
  };
}
