// Resolves once the event loop has gone round — its timers and pending I/O (a window's next message) served —
// so that a step holding the loop for tens of milliseconds (a book's text stored, or handed to a worker) is not
// added to the one before it in a single wait.
export function aroundTheLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(() => setImmediate(resolve), 0));
}
