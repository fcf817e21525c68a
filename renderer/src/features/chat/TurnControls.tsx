import type { ChatMessage } from '../../../../electron/common/contract.ts';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { useApp } from '../../store/context.tsx';

// ‹ 2/3 › on an edited question: its earlier versions, each with the turns that followed it, are kept.
// `title` says why the switch is off, where it is.
export function VersionSwitch({ message, disabled, title }: { message: ChatMessage; disabled: boolean; title?: string }) {
  const switchVersion = useApp((s) => s.switchVersion);
  const version = message.version;
  if (!version) return null;
  return (
    <span className="version-switch" role="group" aria-label="Versions of this question">
      <button type="button" className="link-button" aria-label="Previous version" disabled={disabled || version.index === 1} title={title} onClick={() => void switchVersion(message.id, version.index - 1)}>‹</button>
      <span data-testid="version">{version.index}/{version.count}</span>
      <button type="button" className="link-button" aria-label="Next version" disabled={disabled || version.index === version.count} title={title} onClick={() => void switchVersion(message.id, version.index + 1)}>›</button>
    </span>
  );
}

// Takes a question and its answer out of the conversation, so the model no longer sees them (a stopped or
// empty answer, a question asked by mistake).
export function RemoveTurn({ messageId, disabled, title }: { messageId: string; disabled: boolean; title?: string }) {
  const removeTurn = useApp((s) => s.removeTurn);
  return (
    <ConfirmButton
      className="link-button"
      label="Remove this turn"
      question="Remove this question and its answer?"
      confirm="Remove"
      disabled={disabled}
      title={title}
      onConfirm={() => void removeTurn(messageId)}
    >
      Remove
    </ConfirmButton>
  );
}
