import { QuireError } from '../common/errors.ts';
import type { CliIo } from './command.ts';

// Asks on the terminal for a secret (a PDF's password) without echoing it: raw mode, read up to Enter,
// Backspace erases, Ctrl+C or Ctrl+D gives up. Only where both stdin and stderr are a terminal; elsewhere the
// secret comes by its option.
export function canPrompt(io: CliIo): boolean {
  return io.isTTY && Boolean(process.stdin.isTTY);
}

export function promptSecret(question: string, io: CliIo): Promise<string> {
  const { stdin } = process;
  io.stderr(question);
  stdin.setRawMode(true);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.stderr('\n');
    };
    const onData = (chunk: Buffer) => {
      for (const c of chunk.toString('utf8')) {
        if (c === '\r' || c === '\n') {
          finish();
          return resolve(value);
        }
        if (c === '\u0003' || c === '\u0004') {
          finish();
          return reject(new QuireError('CANCELLED', 'no password was given'));
        }
        value = c === '\u007f' || c === '\b' ? value.slice(0, -1) : value + c;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
