import { useEffect, useRef, useState } from 'react';
import { EXPORT_FORMATS } from '../../../../electron/common/contract.ts';
import { useApp } from '../../store/context.tsx';
import { readOnlyReason } from '../../store/database-slice.ts';
import { EXPORT_LABELS, exportingText } from './export-labels.ts';
import { Composer } from './Composer.tsx';
import { MessageItem, readingStopped } from './Message.tsx';
import { progressFraction, progressLabel } from './progress.ts';
import { loadCheckFraction, loadCheckLabel } from '../load-check.ts';
import { runningLoadCheck } from '../../store/models-slice.ts';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import { EnginePicker, RemoteNote } from './EnginePicker.tsx';
import { ConversationSettingsButton } from './ConversationSettings.tsx';

export function Thread() {
  const conversation = useApp((s) => s.conversation)!;
  const documents = useApp((s) => s.documents);
  const streaming = useApp((s) => (s.streaming?.conversationId === conversation.id ? s.streaming : null));
  const ask = useApp((s) => s.ask);
  const exportConversation = useApp((s) => s.exportConversation);
  const exporting = useApp((s) => s.exporting);
  const openViewer = useApp((s) => s.openViewer);
  const setEngine = useApp((s) => s.setConversationEngine);
  const end = useRef<HTMLDivElement>(null);
  const readOnly = useApp(readOnlyReason);
  const missing = conversation.documentIds.filter((id) => !documents.some((d) => d.id === id));
  const ready = conversation.messages.some((m) => m.stats?.documentSource && !readingStopped(m.stats));
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'end' });
  }, [conversation.messages.length, streaming?.text]);
  return (
    <div className="thread">
      <header className="thread-head">
        <div>
          <ConversationTitle id={conversation.id} title={conversation.title} />
          <div className="doc-chips">
            {conversation.documentIds.map((id) => {
              const doc = documents.find((d) => d.id === id);
              return (
                <button key={id} type="button" className="chip" onClick={() => doc && void openViewer(id)} disabled={!doc}>
                  {doc?.title ?? 'deleted document'}
                </button>
              );
            })}
            {missing.length > 0 ? (
              <span className="missing" role="status">A document was deleted: this conversation can be read and exported, not continued.</span>
            ) : ready ? (
              <span className="ready" data-testid="documents-ready">● Documents ready</span>
            ) : null}
          </div>
          <div className="thread-engine">
            <EnginePicker value={conversation.engine ? { engineId: conversation.engine.engineId, model: conversation.engine.model } : null} onChange={(e) => void setEngine(e)} disabled={streaming !== null} />
            {conversation.engine ? <RemoteNote host={conversation.engine.host} /> : null}
            <ConversationSettingsButton />
          </div>
        </div>
        <div className="export" role="group" aria-label="Export conversation">
          <span className="subtle">Export</span>
          {EXPORT_FORMATS.map((format) => (
            <button key={format} type="button" className="button small" disabled={!conversation.messages.some((m) => m.role === 'assistant') || streaming !== null || exporting !== null} onClick={() => void exportConversation(format)}>
              {EXPORT_LABELS[format]}
            </button>
          ))}
          {exporting && exporting.messageId === null ? <span className="subtle exporting" role="status">{exportingText(exporting.format)}</span> : null}
        </div>
      </header>
      {conversation.unsaved ? (
        <p className="unsaved" role="alert">
          {conversation.unsaved}
        </p>
      ) : null}
      <ol className="messages" aria-label="Messages">
        {conversation.messages.map((message, i) => (
          <MessageItem key={message.id} message={message} previous={conversation.messages[i - 1]} busy={streaming !== null || missing.length > 0} />
        ))}
        {streaming ? (
          <>
            {streaming.question && conversation.messages.at(-1)?.content !== streaming.question ? (
              <li className="message user"><div className="bubble">{streaming.question}</div></li>
            ) : null}
            <li className="message assistant streaming" aria-live="polite">
              {streaming.text ? <div className="answer-text"><p>{streaming.text}</p></div> : null}
              <Progress />
            </li>
          </>
        ) : null}
      </ol>
      <Composer disabledReason={missing.length > 0 ? 'A document of this conversation was deleted.' : readOnly} onAsk={(q) => void ask(q)} />
      {/* After the question box: scrolled into view, the newest answer ends above the box, not under it. */}
      <div ref={end} />
    </div>
  );
}

function Progress() {
  const progress = useApp((s) => s.streaming?.progress ?? null);
  const stop = useApp((s) => s.stop);
  // A load waiting on the check of the model's changed files says so, with how far it has read.
  const check = useApp((s) => (s.streaming?.progress?.phase === 'loading' ? runningLoadCheck(s) : null));
  const fraction = check ? loadCheckFraction(check) : progressFraction(progress);
  return (
    <div className="progress" data-testid="progress">
      <div className="progress-row">
        <span className="progress-label">{check ? loadCheckLabel(check) : progressLabel(progress)}</span>
        <button type="button" className="link-button" onClick={() => void stop()}>Cancel</button>
      </div>
      <ProgressBar fraction={fraction} label="Answer progress" />
    </div>
  );
}

// The title, renamed in place: click Rename, type, Enter (Escape keeps the old one).
function ConversationTitle({ id, title }: { id: string; title: string }) {
  const rename = useApp((s) => s.renameConversation);
  const readOnly = useApp(readOnlyReason);
  const [editing, setEditing] = useState<string | null>(null);
  if (editing === null) {
    return (
      <div className="conversation-title-row">
        <h1 id="chat-title">{title || 'New conversation'}</h1>
        <button type="button" className="link-button" disabled={readOnly !== null} title={readOnly ?? undefined} onClick={() => setEditing(title)}>Rename</button>
      </div>
    );
  }
  return (
    <form
      className="conversation-title-row"
      onSubmit={(e) => {
        e.preventDefault();
        if (editing.trim()) void rename(id, editing);
        setEditing(null);
      }}
    >
      <input className="text-input" aria-label="Conversation title" value={editing} autoFocus onChange={(e) => setEditing(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setEditing(null)} />
      <button type="submit" className="button small primary">Save</button>
    </form>
  );
}
