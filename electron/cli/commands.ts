import type { Command } from './command.ts';

// Subcommands load lazily so `quire --help` and `quire serve` do not pay for the model or parser code.
export const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: { summary: 'start the browser mode and print its URL', load: async () => (await import('./serve.ts')).serve },
  extract: { summary: 'extract a document into text with page, chapter, heading and cue anchors', load: async () => (await import('./extract.ts')).extract },
  desktop: { summary: 'launch the desktop app (Electron)', load: async () => (await import('./desktop.ts')).desktop },
};
