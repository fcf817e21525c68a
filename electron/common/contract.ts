import { z } from 'zod';

// The one contract for every renderer↔main message. The preload's allow-list, the main-process router, the
// browser-mode WebSocket transport and the renderer's typed client are all derived from these objects, so a
// call that is not declared here cannot be made, and every payload is validated where it enters main.

export const Theme = z.enum(['system', 'light', 'dark']);
export const KvDtype = z.enum(['fp32', 'fp16', 'int8', 'int4']);
export const Provider = z.enum(['auto', 'cpu', 'cuda', 'dml', 'webgpu', 'coreml']);

export const Settings = z.object({
  theme: Theme,
  modelId: z.string().nullable(),
  provider: Provider,
  contextTokens: z.number().int().min(256).max(4_194_304),
  kvDtype: KvDtype,
});
export type Settings = z.infer<typeof Settings>;

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  mode: z.enum(['desktop', 'browser']),
  platform: z.string(),
  dataDir: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const CatalogEntry = z.object({
  id: z.string(),
  name: z.string(),
  hfRepo: z.string(),
  licence: z.string(),
  licenceUrl: z.string(),
  parameters: z.string(),
  downloadBytes: z.number(),
  nativeContext: z.number().int(),
  description: z.string(),
});
export type CatalogEntry = z.infer<typeof CatalogEntry>;

export const InstalledModel = z.object({
  id: z.string(),
  name: z.string(),
  dir: z.string(),
  precision: z.string(),
  contextTokens: z.number().int(),
  kvBytesPerToken: z.number(),
  bytes: z.number(),
  demo: z.boolean(),
});
export type InstalledModel = z.infer<typeof InstalledModel>;

export const DocumentSummary = z.object({
  id: z.string(),
  title: z.string(),
  format: z.string(),
  chars: z.number().int(),
  tokens: z.number().int().nullable(),
  pages: z.number().int(),
  importedAt: z.string(),
  warnings: z.array(z.string()),
});
export type DocumentSummary = z.infer<typeof DocumentSummary>;

const empty = z.object({}).strict();
const call = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O) => ({ input, output });

export const calls = {
  'app.info': call(empty, AppInfo),
  'settings.get': call(empty, Settings),
  'settings.update': call(Settings.partial().strict(), Settings),
  'models.catalog': call(empty, z.array(CatalogEntry)),
  'models.installed': call(empty, z.array(InstalledModel)),
  'library.list': call(empty, z.array(DocumentSummary)),
  'library.import': call(
    z.object({ name: z.string().min(1).max(255), bytes: z.instanceof(Uint8Array) }).strict(),
    DocumentSummary,
  ),
  'library.delete': call(z.object({ id: z.string().min(1).max(64) }).strict(), z.object({ deleted: z.boolean() })),
} as const;

export const events = {
  'library.changed': z.object({}),
  'settings.changed': Settings,
} as const;

export type Calls = typeof calls;
export type CallName = keyof Calls;
export type CallInput<N extends CallName> = z.input<Calls[N]['input']>;
export type CallParams<N extends CallName> = z.output<Calls[N]['input']>;
export type CallResult<N extends CallName> = z.output<Calls[N]['output']>;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export const CALL_NAMES = Object.keys(calls) as CallName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.hasOwn(calls, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

// Electron IPC channel names: one for calls, one for events, both prefixed so that the preload and the
// router can refuse anything else.
export const IPC_CALL_CHANNEL = 'quire:call';
export const IPC_EVENT_CHANNEL = 'quire:event';

// Every transport returns this instead of throwing across the boundary.
export type CallOutcome<T = unknown> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
