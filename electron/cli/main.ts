import { formatCliError, QuireError } from '../common/errors.ts';
import { processIo, type CliIo } from './command.ts';
import { COMMANDS } from './commands.ts';

export function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'quire — ask questions over whole documents with a local long-context model',
    '',
    'usage: quire <command> [options]      quire <command> --help',
    '',
    'commands:',
    ...lines,
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(helpText());
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  try {
    if (!entry) throw new QuireError('USAGE', `unknown command "${name}" (see quire --help)`);
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(`${command.summary}\n\nusage: ${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (error) {
    io.stderr(`${formatCliError(error)}\n`);
    return error instanceof QuireError && error.code === 'USAGE' ? 2 : 1;
  }
}
