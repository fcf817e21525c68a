import type { CliIo } from './command.ts';

// Minimum time between progress lines when stderr is not a terminal (logs, CI), so they stay readable.
const LOG_INTERVAL_MS = 2000;

// One status line on stderr: rewritten in place on a terminal, throttled plain lines otherwise (a new phase
// — the line's first word changes — always shows at once). `final` ends the line (or clears it when empty).
export function progressLine(io: CliIo): (text: string, final?: boolean) => void {
  let last = 0;
  let shown = '';
  let phase = '';
  return (line, final = false) => {
    // A carriage return inside the text (a file name can hold one) would rewrite the line to say anything;
    // only the line's own leading \r may move the cursor.
    const text = line.replace(/\r/g, '\\r');
    if (io.isTTY) {
      const pad = ' '.repeat(Math.max(0, shown.length - text.length));
      io.stderr(`\r${text}${pad}${final && text ? '\n' : final ? '\r' : ''}`);
      shown = final ? '' : text;
      return;
    }
    const now = Date.now();
    const textPhase = text.split(' ', 1)[0];
    if (text && (final || textPhase !== phase || now - last >= LOG_INTERVAL_MS)) {
      io.stderr(`${text}\n`);
      last = now;
      phase = textPhase;
    }
  };
}
