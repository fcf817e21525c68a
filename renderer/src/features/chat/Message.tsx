import { useState } from 'react';
import type { ChatMessage } from '../../../../electron/common/contract.ts';
import { useApp } from '../../store/context.tsx';
import { readOnlyReason } from '../../store/database-slice.ts';
import { AnswerText } from './AnswerText.tsx';
import { ExportAnswer } from './ExportAnswer.tsx';
import { RemoveTurn, VersionSwitch } from './TurnControls.tsx';
import { enterSends } from './enter-sends.ts';

const SOURCE_LABELS = { cache: 'documents were already in memory', snapshot: 'documents restored from their saved cache', prefill: 'documents read in full and cached for follow-ups' } as const;

// A stop before the answer's first token while the documents were being read (Cancel during the read): they
// were not read in full (the next question reads on from where it stopped), whatever the source says.
export function readingStopped(stats: ChatMessage['stats']): boolean {
  return !!stats?.stopped && stats.generatedTokens === 0 && (stats.documentSource === 'prefill' || stats.documentSource === 'snapshot');
}

// The buttons that change the stored conversation: off while busy (an answer streams, a document is gone), and off
// with the reason as their title when the database is open read-only (they would fail with DATABASE_DAMAGED).
// Copy and export only read, so they stay on then.
interface Writes {
  disabled: boolean;
  title: string | undefined;
}

function useWrites(busy: boolean): Writes {
  const readOnly = useApp(readOnlyReason);
  return { disabled: busy || readOnly !== null, title: readOnly ?? undefined };
}

export function MessageItem({ message, previous, busy }: { message: ChatMessage; previous: ChatMessage | undefined; busy: boolean }) {
  const writes = useWrites(busy);
  return message.role === 'user' ? <Question message={message} writes={writes} /> : <Answer message={message} afterQuestion={previous?.role === 'user'} busy={busy} writes={writes} />;
}

function Question({ message, writes }: { message: ChatMessage; writes: Writes }) {
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <li className="message user">
      {editing === null ? (
        <>
          <div className="bubble">{message.content}</div>
          <div className="message-actions">
            <VersionSwitch message={message} {...writes} />
            <button type="button" className="link-button" {...writes} onClick={() => setEditing(message.content)}>Edit</button>
          </div>
        </>
      ) : (
        <QuestionEdit messageId={message.id} text={editing} onChange={setEditing} onDone={() => setEditing(null)} />
      )}
    </li>
  );
}

function QuestionEdit({ messageId, text, onChange, onDone }: { messageId: string; text: string; onChange: (text: string) => void; onDone: () => void }) {
  const editQuestion = useApp((s) => s.editQuestion);
  const askAgain = () => {
    if (text.trim()) void editQuestion(messageId, text.trim());
    onDone();
  };
  return (
    <form
      className="edit-form"
      onSubmit={(e) => {
        e.preventDefault();
        askAgain();
      }}
    >
      <textarea aria-label="Edit question" value={text} onChange={(e) => onChange(e.target.value)} onKeyDown={enterSends(askAgain)} rows={2} />
      <button type="submit" className="button primary small">Ask again</button>
      <button type="button" className="button small" onClick={onDone}>Cancel</button>
      <p className="hint edit-note">Asking again keeps this question and the answers after it as an earlier version.</p>
    </form>
  );
}

function Answer({ message, afterQuestion, busy, writes }: { message: ChatMessage; afterQuestion: boolean; busy: boolean; writes: Writes }) {
  const stats = message.stats;
  const unverified = message.quotes.filter((q) => !q.verified).length;
  return (
    <li className="message assistant">
      {message.content ? <AnswerText message={message} /> : message.status ? null : <p className="subtle">{stats?.stopped ? 'Stopped before answering.' : 'No answer.'}</p>}
      {stats?.stopped && message.content ? <p className="subtle">Stopped.</p> : null}
      <UnfinishedNote message={message} writes={writes} />
      {stats?.warnings?.map((warning) => (
        <p key={warning} className="subtle warn" role="status">
          {warning}
        </p>
      ))}
      <div className="message-foot">
        {stats ? <AnswerStats stats={stats} /> : null}
        {message.quotes.length > 0 ? (
          <span className={`quote-summary${unverified ? ' warn' : ''}`}>
            {message.quotes.length - unverified} of {message.quotes.length} quotes verified
          </span>
        ) : null}
        <AnswerActions message={message} afterQuestion={afterQuestion} busy={busy} writes={writes} />
      </div>
    </li>
  );
}

function AnswerStats({ stats }: { stats: NonNullable<ChatMessage['stats']> }) {
  return (
    <span className="stats" title={`${stats.promptTokens.toLocaleString()} prompt tokens, ${stats.prefilledTokens.toLocaleString()} newly processed`}>
      {readingStopped(stats) ? 'stopped while reading the documents · ' : stats.documentSource ? `${SOURCE_LABELS[stats.documentSource]} · ` : ''}
      {stats.documentTokens !== undefined ? `documents ${stats.documentTokens.toLocaleString()} tokens · ` : ''}
      {stats.remote ? `${stats.remote.model} on ${stats.remote.host} · ` : ''}
      {stats.remote?.cachedTokens != null
        ? `${stats.remote.cachedTokens.toLocaleString()} of ${stats.promptTokens.toLocaleString()} tokens came from the server's cache`
        : `${stats.prefilledTokens.toLocaleString()} ${stats.prefilledTokens === 1 ? 'token' : 'tokens'} processed`}
      {stats.secondsToFirstToken > 0 ? ` · first token ${stats.secondsToFirstToken.toFixed(1)} s` : ''}
      {stats.tokensPerSecond > 0 ? ` · ${stats.tokensPerSecond.toFixed(1)} tokens/s` : ''}
    </span>
  );
}

function AnswerActions({ message, afterQuestion, busy, writes }: { message: ChatMessage; afterQuestion: boolean; busy: boolean; writes: Writes }) {
  const regenerate = useApp((s) => s.regenerate);
  const notify = useApp((s) => s.notify);
  const unfinished = message.status === 'interrupted' || message.status === 'failed';
  const copy = () =>
    navigator.clipboard.writeText(message.content).then(
      () => notify('info', 'Copied to the clipboard.'),
      () => notify('error', 'The clipboard is not available here.'),
    );
  return (
    <span className="message-actions">
      <button type="button" className="link-button" onClick={() => void copy()}>Copy</button>
      {afterQuestion && !unfinished ? <button type="button" className="link-button" {...writes} onClick={() => void regenerate(message.id)}>Regenerate</button> : null}
      <ExportAnswer messageId={message.id} disabled={busy || !message.content} />
      {afterQuestion ? <RemoveTurn messageId={message.id} {...writes} /> : null}
    </span>
  );
}

// An answer that did not finish says why, with Retry (which answers the question again in its place).
function UnfinishedNote({ message, writes }: { message: ChatMessage; writes: Writes }) {
  const regenerate = useApp((s) => s.regenerate);
  if (!message.status) return null;
  if (message.status === 'streaming') return <p className="subtle">Still being written — open the conversation again for the rest.</p>;
  const why = message.status === 'interrupted' ? 'Interrupted — the app stopped before this answer finished.' : `Failed — ${message.error ?? 'the engine stopped before this answer finished'}.`;
  return (
    <div className="unfinished" role="status">
      <span>{why}</span>
      <button type="button" className="button small" {...writes} onClick={() => void regenerate(message.id)}>Retry</button>
    </div>
  );
}
