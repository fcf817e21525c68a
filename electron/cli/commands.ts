import type { Command } from './command.ts';

// Subcommands load lazily so `quire --help` and `quire serve` do not pay for the model or parser code.
export const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: { summary: 'start the browser mode and print its URL', load: async () => (await import('./serve.ts')).serve },
  desktop: { summary: 'launch the desktop app (Electron)', load: async () => (await import('./desktop.ts')).desktop },
};
