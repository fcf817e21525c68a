import { QuireError } from '../common/errors.ts';

// A CLI subcommand: `run` gets the arguments after its name and returns the exit code. Output goes through
// `io` so tests can capture it without spawning a process.
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
}

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

export interface Subcommand {
  usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

// A command whose first argument picks one of its subcommands (`quire inspect rope`, `quire eval niah`).
export function commandGroup(name: string, summary: string, subcommands: Record<string, Subcommand>): Command {
  return {
    summary,
    usage: Object.values(subcommands).map((s) => s.usage).join('\n       '),
    async run(argv, io) {
      const [what, ...rest] = argv;
      const subcommand = what && Object.hasOwn(subcommands, what) ? subcommands[what] : undefined;
      if (!subcommand) throw new QuireError('USAGE', `${name} wants one of ${Object.keys(subcommands).join(', ')}, got "${what ?? ''}"`);
      return subcommand.run(rest, io);
    },
  };
}

// File names, document titles and text, model output: none of it is ours, and an ESC/OSC sequence printed
// raw can retitle or clear the terminal, rewrite what it shows or (OSC 52) set the clipboard. Control
// characters other than newline, tab and carriage return (the progress line's own) are shown as \xNN;
// bidirectional overrides too, which can make a name read as something else.
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

// `--json` output is a contract: it must parse, and give back the document's characters exactly. JSON.stringify
// escapes C0 controls itself but writes DEL, the C1 controls and the bidi controls raw, which terminalSafe would
// then turn into \xNN (not JSON): here they become JSON's own \u escapes, so the line parses to the same text
// and still reaches the terminal inert (terminalSafe finds nothing left to rewrite).
export function jsonOutput(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, null, indent).replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `${json}\n`;
}

// Every byte the CLI prints to the terminal goes through terminalSafe; JSON output is written by jsonOutput.
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(terminalSafe(text)),
  stderr: (text) => void process.stderr.write(terminalSafe(text)),
  isTTY: Boolean(process.stderr.isTTY),
};
