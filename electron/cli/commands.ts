import type { Command } from './command.ts';

// Subcommands load lazily so `quire --help` and `quire serve` do not pay for the model or parser code.
export const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: { summary: 'start the browser mode and print its URL', load: async () => (await import('./serve.ts')).serve },
  convert: { summary: 'convert a Hugging Face Llama checkpoint into a Quire model folder', load: async () => (await import('./convert.ts')).convert },
  export: { summary: 'export a converted model as GGUF for llama.cpp, Ollama or LM Studio', load: async () => (await import('./export.ts')).exportModel },
  inspect: { summary: 'inspect RoPE tables, a converted model, or its logits', load: async () => (await import('./inspect.ts')).inspect },
  generate: { summary: 'generate text from token ids or a raw prompt', load: async () => (await import('./generate.ts')).generate },
  ask: { summary: 'ask a question about a whole document, streaming the answer', load: async () => (await import('./ask.ts')).ask },
  eval: { summary: 'evaluate needle-in-a-haystack retrieval of a model, with a heatmap', load: async () => (await import('./eval.ts')).evaluate },
  extract: { summary: 'extract a document into text with page, chapter, heading and cue anchors', load: async () => (await import('./extract.ts')).extract },
  db: { summary: "check Quire's database, or recover a damaged one", load: async () => (await import('./db.ts')).db },
  desktop: { summary: 'launch the desktop app (Electron)', load: async () => (await import('./desktop.ts')).desktop },
};
