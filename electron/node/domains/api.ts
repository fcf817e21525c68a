// The engine served to other apps (Settings → API for other apps), taking turns with the app's own questions.
import { ApiEngine } from '../api/api-engine.ts';
import { ApiService } from '../api/api-service.ts';
import type { AppContext, DomainHandlers } from './context.ts';

export function apiDomain({ bus, runtime, text, root, secrets, settings, activeModel, engineSettings }: AppContext, inAppApi: boolean) {
  const api = new ApiService(new ApiEngine({ runtime, text, root, model: activeModel, settings: engineSettings }), secrets, (status) => bus.emit('api.status', status));
  // Whether Settings may start the server in this process: the app's modes, not the CLI (`quire serve --api`
  // runs its own).
  const apply = () => (inAppApi ? api.apply(settings.get().apiServer) : Promise.resolve(api.status()));
  if (settings.get().apiServer.enabled) void apply();
  const handlers: DomainHandlers<'api.status'> = { 'api.status': () => api.status() };
  return { handlers, apply, close: () => api.close() };
}
