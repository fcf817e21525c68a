import { existsSync } from 'node:fs';
import { QuireError } from '../common/errors.ts';
import type { ChatProgress, EngineStatus, MessageStats, QuoteCheck } from '../common/contract.ts';
import { createAppServices } from '../node/app-services.ts';
import { ensureDefaultModel } from '../node/default-model.ts';
import { claimDataDir, dataDir } from '../node/paths.ts';
import { parseCommandArgs } from './args.ts';
import { ENGINE_OPTIONS, providerOption } from './engine-args.ts';
import type { CliIo, Command } from './command.ts';
import { progressLine } from './progress-line.ts';

const USAGE = 'quire ask <document> "<question>" [--model <dir>] [--provider P]';

export const ask: Command = {
  summary: 'ask a question about a whole document (prefilled once, then restored from its snapshot)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { model: ENGINE_OPTIONS.model, provider: ENGINE_OPTIONS.provider }, USAGE);
    const provider = providerOption(values.provider);
    const [file, question, ...extra] = positionals;
    if (!file || !question?.trim() || extra.length > 0) throw new QuireError('USAGE', `give one document and one question (usage: ${USAGE})`);
    if (values.model !== undefined && !existsSync(values.model)) throw new QuireError('NOT_FOUND', `no model folder at ${values.model}`);
    const root = dataDir();
    claimDataDir(root);
    if (!values.model) await ensureDefaultModel(root);
    const services = createAppServices({ mode: 'cli', root, ...(values.model ? { modelDir: values.model } : {}), ...(provider ? { provider } : {}) });
    const status = progressLine(io);
    const stopOnSignal = () => services.chat.stop(conversationId);
    let conversationId = '';
    try {
      const document = await services.documents.importFile(file, {
        onProgress: (p) => status(`${p.phase === 'extract' ? 'reading' : p.phase === 'hash' ? 'checking' : 'storing'} ${file}: ${p.done}/${p.total}`),
      });
      status(document.duplicate ? `${document.title}: already in the library` : `${document.title}: imported, ${document.chars.toLocaleString('en')} characters`, true);
      const conversation = await services.chat.create([document.id]);
      conversationId = conversation.id;
      let answering = false;
      services.bus.subscribe((name, payload) => {
        if (name === 'chat.progress') {
          const p = payload as ChatProgress;
          if (p.phase === 'generating') {
            status('', true);
            answering = true;
          } else if (!answering) status(describe(p));
        } else if (name === 'chat.delta') io.stdout((payload as { text: string }).text);
      });
      process.once('SIGINT', stopOnSignal);
      const result = await services.chat.ask({ conversationId, question });
      const answer = result.messages.at(-1)!;
      io.stdout('\n');
      reportAnswer(io, answer.stats, answer.quotes);
      // A GPU passed over for this model (failed provider check, missing feature): the answer came from the
      // fallback, and the user should know why their GPU was not used.
      const engine = await services.router('models.engine', {});
      const warning = engine.ok ? (engine.value as EngineStatus).warning : null;
      if (warning) io.stderr(`quire: warning: ${warning}\n`);
      return answer.stats?.stopped ? 130 : 0;
    } finally {
      process.removeListener('SIGINT', stopOnSignal);
      await services.close();
    }
  },
};

function describe(p: ChatProgress): string {
  switch (p.phase) {
    case 'loading':
      return 'loading the model…';
    case 'tokenizing':
      return 'tokenizing…';
    case 'restoring':
      return p.resumedFrom
        ? `resuming the reading from its checkpoint (${p.done.toLocaleString('en')} of ${p.total.toLocaleString('en')} tokens read before it stopped)…`
        : `restoring this document's saved cache (${p.total.toLocaleString('en')} tokens)…`;
    case 'prefill': {
      const resumed = p.resumedFrom ?? 0;
      const done = resumed + p.done;
      const total = resumed + p.total;
      const percent = total ? Math.floor((100 * done) / total) : 0;
      const eta = p.etaSeconds > 0 ? `, ETA ${formatEta(p.etaSeconds)}` : '';
      return `prefill ${done.toLocaleString('en')}/${total.toLocaleString('en')} tokens (${percent}%${resumed ? `, resumed from ${resumed.toLocaleString('en')}` : ''}), ${Math.round(p.tokensPerSecond).toLocaleString('en')} tokens/s${eta}`;
    }
    default:
      return '';
  }
}

function formatEta(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m${Math.round(seconds % 60)}s` : `${Math.floor(m / 60)}h${m % 60}m`;
}

const SOURCES = { snapshot: 'document restored from its snapshot', cache: 'document already in memory', prefill: 'document prefilled and its snapshot saved' } as const;

function reportAnswer(io: CliIo, stats: MessageStats | null, quotes: QuoteCheck[]): void {
  if (stats) {
    const source = stats.documentSource ? `${SOURCES[stats.documentSource]}; ` : '';
    io.stderr(
      `quire: ${source}${stats.prefilledTokens.toLocaleString('en')} of ${stats.promptTokens.toLocaleString('en')} prompt tokens processed; ` +
        `first token after ${stats.secondsToFirstToken.toFixed(2)} s; ${stats.tokensPerSecond.toFixed(1)} tokens/s${stats.stopped ? '; stopped' : ''}\n`,
    );
    for (const warning of stats.warnings ?? []) io.stderr(`quire: warning: ${warning}\n`);
  }
  for (const q of quotes) {
    const where = q.verified ? `verified (${q.anchor ? `${q.anchor.kind} ${q.anchor.label}` : 'found'})` : 'NOT FOUND in the document';
    io.stderr(`quire: quote ${where}: "${q.quote}"\n`);
  }
}
