import type { KeyboardEvent } from 'react';

// Every question box sends on Enter and takes a new line on Shift+Enter (an IME's Enter composes, not sends).
export function enterSends(send: () => void) {
  return (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    send();
  };
}
