import './zod-csp.ts';
import { z } from 'zod';
import { AnchorSchema, DocumentModelSchema, DocumentOutlineSchema, ImportProgressSchema } from './document.ts';
import { OCR_LANGUAGES } from './ocr-languages.ts';
import { ENGINE_URL_LIMIT } from './engine-url.ts';
import { GenerationDefaults, IoDtype, KvDtype, Precision, PromptStyle, ProviderChoice, resolveConversion } from '../../models/model-spec.ts';

// The one contract for every renderer↔main message. The preload's allow-list, the main-process router, the
// browser-mode WebSocket transport and the renderer's typed client are all derived from these objects, so a
// call that is not declared here cannot be made, and every payload is validated where it enters main.

export const Theme = z.enum(['system', 'light', 'dark']);
// Model facts (dtypes, providers) are defined once, in the model spec.
export { KvDtype };
export const Provider = ProviderChoice;

// How answers are written, app-wide and per conversation: the user's instructions (added to Quire's own
// system prompt) and the sampling settings; null is the model's own default (its generation_config), and for
// the seed a new one each answer.
export const AnswerStyle = z
  .object({
    instructions: z.string().max(4_000),
    temperature: z.number().min(0).max(2).nullable(),
    topP: z.number().gt(0).max(1).nullable(),
    seed: z.number().int().min(0).max(2_147_483_647).nullable(),
  })
  .strict();
export type AnswerStyle = z.infer<typeof AnswerStyle>;
// A conversation's own choices over the app's: any of the style's fields, and its longest answer.
export const ConversationStyle = AnswerStyle.partial().extend({ answerTokens: z.number().int().min(16).max(32_768).optional() }).strict();
export type ConversationStyle = z.infer<typeof ConversationStyle>;

// The longest answer the OpenAI-compatible API gives, whatever a request asks: one request cannot hold the engine
// for the whole context (the rest of a 1M-token context is hours of decoding), and other requests' waits stay
// bounded. `quire serve --api --max-tokens N`, or Settings → API for other apps.
export const API_MAX_ANSWER_TOKENS = 4096;
export const ApiMaxTokens = z.number().int().min(1).max(32_768);

export const Settings = z.object({
  theme: Theme,
  modelId: z.string().nullable(),
  provider: Provider,
  contextTokens: z.number().int().min(256).max(4_194_304),
  kvDtype: KvDtype,
  // Longest answer, in tokens.
  answerTokens: z.number().int().min(16).max(32_768),
  answerStyle: AnswerStyle,
  // Quire's engine served to other apps on this computer as an OpenAI-compatible API (loopback only).
  // An earlier version's stored switch has no cap: it gets the default, and stays on.
  apiServer: z.object({ enabled: z.boolean(), port: z.number().int().min(1024).max(65_535), maxTokens: ApiMaxTokens.default(API_MAX_ANSWER_TOKENS) }).strict(),
  // Disk space saved document caches may use (what the model has read of each, so its next question starts at
  // once, also after a restart); beyond it the least recently used go. 0 keeps none.
  savedCacheBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type Settings = z.infer<typeof Settings>;

// The saved caches on disk now, and the room they have: the user's limit, or less where the disk holds less.
export const SavedCaches = z.object({
  usedBytes: z.number(),
  files: z.number().int(),
  roomBytes: z.number(),
  diskFreeBytes: z.number().nullable(),
});
export type SavedCaches = z.infer<typeof SavedCaches>;

// Whether the database is damaged (then the app runs read-only on what could be read), in words with the way
// out, the newest good backup (and when it was taken, ISO 8601), and a recovery staged for the next start.
export const DatabaseStatus = z.object({
  damaged: z.boolean(),
  message: z.string().nullable(),
  backup: z.string().nullable(),
  backupTime: z.string().nullable(),
  staged: z.enum(['salvage', 'backup']).nullable(),
});
export type DatabaseStatus = z.infer<typeof DatabaseStatus>;

// The in-app API's state: its address and key while it runs (the user copies both into the other app), or
// why it could not start.
export const ApiStatus = z.object({
  state: z.enum(['off', 'running', 'failed']),
  url: z.string().nullable(),
  key: z.string().nullable(),
  error: z.string().nullable(),
});
export type ApiStatus = z.infer<typeof ApiStatus>;

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  mode: z.enum(['desktop', 'browser', 'cli']),
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
  precision: Precision,
  ioDtype: IoDtype,
  kvDtype: KvDtype,
  contextTokens: z.number().int(),
  kvBytesPerToken: z.number(),
  bytes: z.number(),
  demo: z.boolean(),
  promptStyle: PromptStyle,
  generation: GenerationDefaults,
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

// Whether a document (with the answer's room) fits the model in use: its real context and the memory of the
// device where its cache lives.
export const DocumentFit = z.object({ modelId: z.string(), modelName: z.string(), context: z.number().int(), fits: z.boolean(), reason: z.string() });
export type DocumentFit = z.infer<typeof DocumentFit>;
// A library row: the summary plus, when a model is installed, whether the document fits it.
export const LibraryEntry = DocumentSummary.extend({ fit: DocumentFit.nullable() });
export type LibraryEntry = z.infer<typeof LibraryEntry>;

export const QuoteCheck = z.object({
  quote: z.string(),
  verified: z.boolean(),
  start: z.number().int().nullable(),
  end: z.number().int().nullable(),
  anchor: AnchorSchema.nullable(),
  documentId: z.string().nullable(),
});
export type QuoteCheck = z.infer<typeof QuoteCheck>;

// What an answer is asked with, resolved: the instructions, greedy or the temperature and top-p, the seed (null:
// a new one each answer) and the longest answer. Exports state it.
export const AnswerSettings = z.object({
  instructions: z.string(),
  greedy: z.boolean(),
  temperature: z.number(),
  topP: z.number(),
  seed: z.number().int().nullable(),
  maxTokens: z.number().int(),
});
export type AnswerSettings = z.infer<typeof AnswerSettings>;

export const MessageStats = z.object({
  promptTokens: z.number().int(),
  // The documents' share of the prompt: the count the library and the fit check show for them. Absent on remote
  // answers and on answers stored before it existed.
  documentTokens: z.number().int().optional(),
  prefilledTokens: z.number().int(),
  generatedTokens: z.number().int(),
  documentSource: z.enum(['cache', 'snapshot', 'prefill']).nullable(),
  // What the user should know about how the answer was made (a damaged saved cache discarded); absent on
  // answers stored before it existed.
  warnings: z.array(z.string()).optional(),
  secondsToFirstToken: z.number(),
  tokensPerSecond: z.number(),
  stopped: z.boolean(),
  // Answers of a remote engine: where it ran, and how many prompt tokens the server's prefix cache served
  // (null where the server does not say). Absent on local answers and on answers stored before it existed.
  remote: z.object({ host: z.string(), model: z.string(), cachedTokens: z.number().int().nullable() }).optional(),
  // What it was asked with; absent on answers stored before it existed.
  settings: AnswerSettings.optional(),
});
export type MessageStats = z.infer<typeof MessageStats>;

export const ChatMessage = z.object({
  id: z.string(),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  quotes: z.array(QuoteCheck),
  stats: MessageStats.nullable(),
  createdAt: z.string(),
  // On an edited question: which of its versions this is (1-based) and how many there are.
  version: z.object({ index: z.number().int().min(1), count: z.number().int().min(2) }).optional(),
  // An answer that did not finish (absent on those that did, and on questions): `streaming` while it is
  // written, stored as it streams; `interrupted` when the app stopped before it finished; `failed` when the
  // engine failed partway, with the engine's `error`. Each keeps the part that was shown.
  status: z.enum(['streaming', 'interrupted', 'failed']).optional(),
  error: z.string().optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

// A conversation on a remote engine (an OpenAI-compatible server) names the engine and the server's model;
// `host` is kept with it so that the conversation and its exports say where documents went even after the
// engine is removed.
export const RemoteChoice = z.object({ engineId: z.string().min(1).max(64), model: z.string().min(1).max(256) }).strict();
export type RemoteChoice = z.infer<typeof RemoteChoice>;
export const ConversationEngine = z.object({ engineId: z.string(), model: z.string(), host: z.string() });
export type ConversationEngine = z.infer<typeof ConversationEngine>;

export const ConversationSummary = z.object({
  id: z.string(),
  title: z.string(),
  documentIds: z.array(z.string()),
  modelId: z.string().nullable(),
  // Null (or absent) for the local model.
  engine: ConversationEngine.nullable().optional(),
  // Its own instructions and sampling (over the app's, Settings → How answers are written); null (or absent)
  // while it follows the app's.
  style: ConversationStyle.nullable().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ConversationSummary = z.infer<typeof ConversationSummary>;

export const Conversation = ConversationSummary.extend({
  messages: z.array(ChatMessage),
  // Set when the last answer is shown but not yet stored (the disk was full): why, and what happens to it.
  unsaved: z.string().optional(),
});
export type Conversation = z.infer<typeof Conversation>;

// The model's own cache first (`installed`), then what a conversion with another cache would allow.
export const FitChoice = z.object({ kvDtype: KvDtype, installed: z.boolean(), fits: z.boolean(), reason: z.string(), maxTokens: z.number().int() });
// Advice is always something the user can do at once: each kind maps to one action in the UI.
export const FitAdvice = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('context'), contextTokens: z.number().int(), label: z.string() }),
  z.object({ kind: z.literal('answer'), answerTokens: z.number().int(), label: z.string() }),
  z.object({ kind: z.literal('convert'), kvDtype: KvDtype, label: z.string() }),
  z.object({ kind: z.literal('documents'), label: z.string() }),
]);
export type FitAdvice = z.infer<typeof FitAdvice>;
export const PlanningMemory = z.object({
  // Where the cache will live and what was read: "system memory (RAM)", "NVIDIA H200 (VRAM)".
  device: z.string(),
  availableBytes: z.number(),
  source: z.string(),
});
export type PlanningMemory = z.infer<typeof PlanningMemory>;
// What a catalog model would be on this machine, from the memory planner before anything is downloaded: for
// each weight precision and cache this device runs, the tokens of context that fit its memory (at most the
// model's own), the converted size and the disk a conversion needs; and the time a download and a
// conversion take at the stated speeds. `recommended` marks the choice Quire would make here.
export const CatalogFitOption = z.object({
  precision: Precision,
  kv: KvDtype,
  weightBytes: z.number(),
  maxTokens: z.number().int(),
  diskBytes: z.number(),
  recommended: z.boolean(),
});
export type CatalogFitOption = z.infer<typeof CatalogFitOption>;
export const CatalogFitReport = z.object({
  memory: PlanningMemory,
  downloadBytesPerSecond: z.number(),
  // Whether that speed was measured on this computer's last download (else it is assumed).
  downloadSpeedMeasured: z.boolean(),
  convertBytesPerSecond: z.number(),
  models: z.array(z.object({ id: z.string(), downloadSeconds: z.number(), convertSeconds: z.number(), options: z.array(CatalogFitOption) })),
});
export type CatalogFitReport = z.infer<typeof CatalogFitReport>;
export const FitPlan = z.object({
  modelId: z.string(),
  documentTokens: z.number().int(),
  answerRoom: z.number().int(),
  // The context the engine will be loaded with, and the most the model allows.
  context: z.number().int(),
  modelContext: z.number().int(),
  fitsContext: z.boolean(),
  memory: PlanningMemory,
  fitsMemory: z.boolean(),
  fits: z.boolean(),
  reason: z.string(),
  choices: z.array(FitChoice),
  advice: z.array(FitAdvice),
  // A remote engine's plan: its context is the server's (max_model_len), its memory the server's concern; the
  // count is exact when the server (or the model's own tokenizer) counted it.
  server: z.object({ host: z.string(), model: z.string(), tokensExact: z.boolean(), tokenSource: z.string() }).optional(),
});
export type FitPlan = z.infer<typeof FitPlan>;

export const ChatPhase = z.enum(['loading', 'tokenizing', 'restoring', 'prefill', 'generating']);
export const ChatProgress = z.object({
  conversationId: z.string(),
  phase: ChatPhase,
  done: z.number(),
  total: z.number(),
  tokensPerSecond: z.number(),
  etaSeconds: z.number(),
  // Time since the work began, where progress is an estimate (a remote server says nothing until its first token).
  elapsedSeconds: z.number().optional(),
  // Tokens of the documents read before a stop or a crash and restored from the reading's checkpoint: the reading
  // goes on from there (done and total count only what is read now).
  resumedFrom: z.number().int().nonnegative().optional(),
});
export type ChatProgress = z.infer<typeof ChatProgress>;

export const EXPORT_FORMATS = ['md', 'html', 'pdf', 'docx', 'json'] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormat>;
export const ExportedFile = z.object({ fileName: z.string(), mime: z.string(), bytes: z.instanceof(Uint8Array) });
export type ExportedFile = z.infer<typeof ExportedFile>;

export const InstallRequest = z
  .object({
    catalogId: z.string().min(1).max(64).optional(),
    repo: z.string().min(3).max(200).optional(),
    // A folder on this computer: a Hugging Face checkpoint already downloaded (converted here), or a converted
    // Quire model folder (copied in as it is).
    folder: z.string().min(1).max(4096).optional(),
    precision: Precision,
    // KV cache and activation dtypes baked into the converted graph; the spec's defaults when absent.
    kv: KvDtype.optional(),
    io: IoDtype.optional(),
  })
  .strict()
  .refine((r) => [r.catalogId, r.repo, r.folder].filter(Boolean).length === 1, { message: 'give one of catalogId, repo or folder' })
  // An invalid combination is refused here, before anything is downloaded (the machine's own limits are checked
  // again by the installer, which knows the provider).
  .superRefine((r, ctx) => {
    try {
      resolveConversion(r);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });
export type InstallRequest = z.infer<typeof InstallRequest>;

// What this machine's provider can convert and run: the Models and Settings screens offer only these.
export const ConversionChoices = z.object({
  provider: z.string(),
  // Whether the device runs 16-bit float activations (WebGPU adapters without shader-f16 do not).
  float16: z.boolean(),
  choices: z.array(z.object({ precision: Precision, io: IoDtype, kv: KvDtype })),
});
export type ConversionChoices = z.infer<typeof ConversionChoices>;

export const InstallProgress = z.object({
  id: z.string(),
  phase: z.enum(['download', 'convert']),
  done: z.number(),
  total: z.number(),
  bytesPerSecond: z.number(),
  etaSeconds: z.number(),
  detail: z.string(),
});
export type InstallProgress = z.infer<typeof InstallProgress>;

export const EngineStatus = z.object({
  loaded: z.boolean(),
  modelId: z.string().nullable(),
  path: z.string().nullable(),
  provider: z.string().nullable(),
  reason: z.string().nullable(),
  context: z.number().int().nullable(),
  availableBytes: z.number(),
  totalBytes: z.number(),
  // The GPU the loaded engine runs on; device memory is null where the platform does not tell it.
  adapter: z
    .object({ name: z.string(), kind: z.string(), driver: z.string(), memoryBytes: z.number().nullable(), freeBytes: z.number().nullable() })
    .nullable(),
  // How the provider check passed on load, and a GPU passed over (failed check, missing feature).
  check: z.string().nullable(),
  warning: z.string().nullable(),
  // QUIRE_PROVIDER (or `quire ask --provider`) overriding the Settings choice in this process.
  providerOverride: Provider.nullable(),
});
export type EngineStatus = z.infer<typeof EngineStatus>;

// How the secret store keeps secrets (API keys, the hub token): sealed with the OS keychain (the desktop app)
// or in a file only this user can read; the UI tells the user which.
export const SecretProtection = z.enum(['os-keychain', 'user-only-file']);
export type SecretProtection = z.infer<typeof SecretProtection>;

// A remote engine (an OpenAI-compatible server such as vLLM) as the renderer sees it: never its key, only
// whether one is stored and how the secret store protects it.
export const RemoteEngine = z.object({
  id: z.string(),
  name: z.string(),
  baseUrl: z.string(),
  host: z.string(),
  hasKey: z.boolean(),
  // Plain http to another machine, allowed by the user.
  insecure: z.boolean(),
  protection: SecretProtection,
  createdAt: z.string(),
});
export type RemoteEngine = z.infer<typeof RemoteEngine>;
// A model the server serves; maxModelLen is vLLM's max_model_len (null where the server does not say).
// `contextStated`: the server reports none, and maxModelLen is what the user said it runs the model with.
export const RemoteModelInfo = z.object({ id: z.string(), maxModelLen: z.number().int().nullable(), ownedBy: z.string().nullable(), contextStated: z.boolean().optional() });
// The longest context a user may state for a remote model (UltraLong's 4M, with room).
export const MAX_STATED_CONTEXT = 16_777_216;
export type RemoteModelInfo = z.infer<typeof RemoteModelInfo>;
const EngineName = z.string().trim().min(1).max(100);
// Printable ASCII only: a key travels in an HTTP header.
const EngineKey = z.string().trim().max(4096).regex(/^[\x21-\x7e]*$/, 'an API key is printable characters without spaces');
const EngineUrl = z
  .string()
  .trim()
  .min(1)
  .max(ENGINE_URL_LIMIT)
  .regex(/^https?:\/\//i, 'an engine URL starts with http:// or https://');

export const NiahCell = z.object({ length: z.number().int(), depth: z.number(), accuracy: z.number(), samples: z.number().int(), seconds: z.number() });
export type NiahCell = z.infer<typeof NiahCell>;
export const SelfCheckResult = z.object({ modelId: z.string(), cells: z.array(NiahCell), mean: z.number(), heatmapSvg: z.string() });
export type SelfCheckResult = z.infer<typeof SelfCheckResult>;

// Where saved secrets are kept: sealed with the OS keychain (desktop), or in a file only this user can read.
export const HubTokenState = z.object({ saved: z.boolean(), protection: SecretProtection });
export type HubTokenState = z.infer<typeof HubTokenState>;

const id = z.string().min(1).max(64);
// At most this many characters of a document's text a call (a frame the page takes in one task).
export const TEXT_RANGE_LIMIT = 1_048_576;
const TextRange = z
  .object({ id, start: z.number().int().nonnegative(), end: z.number().int().nonnegative() })
  .strict()
  .refine((r) => r.start <= r.end, { message: 'start must not be after end' })
  .refine((r) => r.end - r.start <= TEXT_RANGE_LIMIT, { message: `at most ${TEXT_RANGE_LIMIT} characters a call` });
const empty = z.object({}).strict();
// A document to import. The page may hand over the dropped file itself (a Blob) so that it is never read whole
// in the page: the browser mode's transport streams it from the disk to the server, Electron's reads it for
// IPC. The backend always receives its bytes.
const DocumentBytes = z.union([z.instanceof(Uint8Array), z.instanceof(Blob)]).transform((value, ctx) => {
  if (value instanceof Uint8Array) return value;
  ctx.addIssue({ code: 'custom', message: 'a file reaches Quire as its bytes' });
  return z.NEVER;
});
const call = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O) => ({ input, output });

export const calls = {
  'app.info': call(empty, AppInfo),
  'settings.get': call(empty, Settings),
  'settings.update': call(Settings.partial().strict(), Settings),
  'settings.savedCaches': call(empty, SavedCaches),
  // Deletes every saved cache (each document is read again at its next question).
  'settings.clearSavedCaches': call(empty, z.object({ deleted: z.number().int() })),
  'models.catalog': call(empty, z.array(CatalogEntry)),
  'models.installed': call(empty, z.array(InstalledModel)),
  'models.install': call(InstallRequest, InstalledModel),
  // Downloads stopped before their conversion, with the bytes each has: installing one again resumes it.
  'models.pausedDownloads': call(empty, z.array(z.object({ id: z.string(), bytes: z.number() }))),
  'models.cancelInstall': call(z.object({ id: z.string().min(1).max(200) }).strict(), z.object({ cancelled: z.boolean() })),
  'models.remove': call(z.object({ id: z.string().min(1).max(200) }).strict(), z.object({ removed: z.boolean() })),
  'models.engine': call(empty, EngineStatus),
  'models.choices': call(empty, ConversionChoices),
  'models.catalogFit': call(empty, CatalogFitReport),
  // A short needle-in-a-haystack run of the chosen model up to the chosen context; cells stream as events.
  // With `engine`, the check runs on a remote engine's model, up to the server's context.
  'models.selfCheck': call(z.object({ engine: RemoteChoice.optional() }).strict(), SelfCheckResult),
  // Stops the self-check that runs (its call then fails with CANCELLED); false when none runs.
  'models.cancelSelfCheck': call(empty, z.object({ cancelled: z.boolean() })),
  // Every file of an installed model against the SHA-256 its conversion recorded; a damaged one fails with
  // MODEL_CORRUPT and the way to repair it. Progress streams as models.verifyProgress.
  'models.verify': call(
    z.object({ id: z.string().min(1).max(200) }).strict(),
    z.object({ status: z.enum(['ok', 'unchecked']), message: z.string() }),
  ),
  // The Hugging Face access token for gated repositories: whether one is saved and how it is kept, never the
  // token itself. Saving null removes it.
  'models.hubToken': call(empty, HubTokenState),
  'models.setHubToken': call(z.object({ token: z.string().trim().min(8).max(512).regex(/^[\x21-\x7e]+$/, 'a token is one word of printable characters').nullable() }).strict(), HubTokenState),
  'library.list': call(empty, z.array(LibraryEntry)),
  // `ocrLanguage`: the language scanned pages are read in (English unless given). `password`: a protected PDF's
  // user password, asked for after an ENCRYPTED refusal; used for that extraction only and kept nowhere.
  'library.import': call(
    z.object({ name: z.string().min(1).max(255), bytes: DocumentBytes, ocrLanguage: z.enum(OCR_LANGUAGES).optional(), password: z.string().min(1).max(1024).optional() }).strict(),
    // `duplicate`: these bytes were already in the library; nothing new was stored.
    DocumentSummary.extend({ duplicate: z.boolean() }),
  ),
  // Imports the sample book a new user can try with the demo model, and says what to ask it.
  'library.sample': call(empty, z.object({ document: DocumentSummary, questions: z.array(z.string()) })),
  // Stops the import of that file while its text is extracted (an OCR'd book takes minutes); it fails with CANCELLED.
  'library.cancelImport': call(z.object({ name: z.string().min(1).max(255) }).strict(), z.object({ cancelled: z.boolean() })),
  'library.delete': call(z.object({ id }).strict(), z.object({ deleted: z.boolean() })),
  // The imported file itself, for the viewer's page images (PDFs only are kept).
  'library.original': call(z.object({ id }).strict(), z.object({ bytes: z.instanceof(Uint8Array) })),
  'library.get': call(z.object({ id }).strict(), z.intersection(DocumentModelSchema, z.object({ id: z.string() }))),
  // The viewer opens a book from these two at once: everything but the text, and the text of [start, end) in
  // UTF-16 code units (JavaScript string offsets, as anchors and quotes count), the screen in view first. A range
  // may run past the end (it ends there, so the first can be asked before the length is known); a start past it
  // is refused (INVALID_INPUT).
  'library.outline': call(z.object({ id }).strict(), DocumentOutlineSchema.extend({ id: z.string() })),
  'library.text': call(TextRange, z.object({ text: z.string() })),
  'export.conversation': call(
    z.object({ conversationId: id, format: ExportFormat, messageId: id.optional() }).strict(),
    ExportedFile,
  ),
  'chat.list': call(empty, z.array(ConversationSummary)),
  'chat.get': call(z.object({ id }).strict(), Conversation),
  // `engine`: a remote engine's model; the local model when absent or null.
  'chat.create': call(z.object({ documentIds: z.array(id).min(1).max(32), engine: RemoteChoice.nullable().optional() }).strict(), Conversation),
  // The engine that answers the conversation's next question.
  'chat.setEngine': call(z.object({ id, engine: RemoteChoice.nullable() }).strict(), Conversation),
  // The conversation's own instructions and sampling for its next questions; null: the app's again.
  'chat.setStyle': call(z.object({ id, style: ConversationStyle.nullable() }).strict(), Conversation),
  'chat.delete': call(z.object({ id }).strict(), z.object({ deleted: z.boolean() })),
  'chat.rename': call(z.object({ id, title: z.string().trim().min(1).max(200) }).strict(), z.object({ renamed: z.boolean() })),
  // Takes a question and its answer (either id) out of the conversation and of what the model is given next.
  'chat.removeTurn': call(z.object({ conversationId: id, messageId: id }).strict(), Conversation),
  // Shows another version of an edited question, with the turns that followed it.
  'chat.switchVersion': call(z.object({ conversationId: id, messageId: id, version: z.number().int().min(1).max(1000) }).strict(), Conversation),
  // Answers the question (or, with replaceFrom, re-asks from that message: an edited question or a
  // regenerated answer); resolves when the answer is complete or stopped. Tokens stream as chat.delta.
  'chat.ask': call(
    z.object({ conversationId: id, question: z.string().trim().min(1).max(20_000).optional(), replaceFrom: id.optional() }).strict(),
    Conversation,
  ),
  'chat.stop': call(z.object({ conversationId: id }).strict(), z.object({ stopped: z.boolean() })),
  'chat.fit': call(z.object({ documentIds: z.array(id).min(1).max(32), engine: RemoteChoice.nullable().optional() }).strict(), FitPlan),
  // Remote engines. `add` lists the server's models with the given URL and key first: nothing is stored when
  // that fails.
  'engines.list': call(empty, z.array(RemoteEngine)),
  'engines.add': call(
    z.object({ name: EngineName, baseUrl: EngineUrl, apiKey: EngineKey.optional(), allowInsecureHttp: z.boolean().optional() }).strict(),
    z.object({ engine: RemoteEngine, models: z.array(RemoteModelInfo) }),
  ),
  // A new name and/or a new key (null removes it).
  'engines.update': call(z.object({ id, name: EngineName.optional(), apiKey: EngineKey.nullable().optional() }).strict(), RemoteEngine),
  'engines.remove': call(z.object({ id }).strict(), z.object({ removed: z.boolean() })),
  'engines.models': call(z.object({ id }).strict(), z.array(RemoteModelInfo)),
  // The context a server runs a model with, where the server does not say (null: forget it); returns the models.
  'engines.setContext': call(
    z.object({ id, model: z.string().min(1).max(400), context: z.number().int().min(256).max(MAX_STATED_CONTEXT).nullable() }).strict(),
    z.array(RemoteModelInfo),
  ),
  'api.status': call(empty, ApiStatus),
  'database.status': call(empty, DatabaseStatus),
  'database.recover': call(z.object({ from: z.enum(['salvage', 'backup']) }).strict(), DatabaseStatus),
} as const;

export const events = {
  'library.changed': z.object({}),
  'settings.changed': Settings,
  'api.status': ApiStatus,
  'chat.progress': ChatProgress,
  'models.progress': InstallProgress,
  'library.progress': ImportProgressSchema.extend({ name: z.string() }),
  'models.changed': z.object({}),
  'models.selfCheckProgress': z.object({ cell: NiahCell, done: z.number().int(), total: z.number().int() }),
  // Verify's progress, or (`atLoad`) the full check a load makes of a model whose files changed since they were
  // verified, which a question waits on; `error` when that check found them damaged (MODEL_CORRUPT's words).
  'models.verifyProgress': z.object({ id: z.string(), doneBytes: z.number(), totalBytes: z.number(), atLoad: z.boolean().optional(), error: z.string().optional() }),
  'chat.delta': z.object({ conversationId: z.string(), text: z.string() }),
  // The engine process died (it restarts after restartInMs and loads the model again), is back, or could not
  // load the model again; models.engine says the same when asked.
  'models.engineState': z.object({
    state: z.enum(['exited', 'restarted', 'failed']),
    reason: z.string().nullable(),
    modelId: z.string().nullable(),
    restartInMs: z.number().int().nonnegative(),
  }),
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
