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

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  isTTY: Boolean(process.stderr.isTTY),
};
