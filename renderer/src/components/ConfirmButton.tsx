import { useEffect, useRef, useState, type ReactNode } from 'react';

// A destructive action asks once, in place: the first click turns the button into "question · Confirm · Cancel"
// (focus on Cancel, Escape cancels), so a stray click loses nothing.
export function ConfirmButton({
  label,
  question,
  confirm,
  onConfirm,
  className,
  disabled,
  title,
  children,
}: {
  label: string;
  question: string;
  confirm: string;
  onConfirm: () => void;
  className: string;
  disabled?: boolean;
  // Why it is disabled, where it is.
  title?: string;
  children: ReactNode;
}) {
  const [asking, setAsking] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) cancel.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" className={className} aria-label={label} disabled={disabled} title={title} onClick={() => setAsking(true)}>
        {children}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={question} onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
      <span className="confirm-question">{question}</span>
      <button
        type="button"
        className="button small danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirm}
      </button>
      <button ref={cancel} type="button" className="button small" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
