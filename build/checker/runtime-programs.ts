import { join } from 'node:path';
import ts from 'typescript';
import { REPOSITORY_ROOT } from './layers.ts';

// The per-runtime TypeScript programs `npm run typecheck` compiles besides the root one: the browser's (no Node
// types) and Node's (no DOM). Here their options compile a probe text, so a test can show what each refuses.

export const RUNTIME_CONFIGS = { browser: 'build/checker/tsconfig.browser.json', node: 'build/checker/tsconfig.node.json' } as const;

export function runtimeOptions(runtime: keyof typeof RUNTIME_CONFIGS, root = REPOSITORY_ROOT): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, RUNTIME_CONFIGS[runtime]), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`${RUNTIME_CONFIGS[runtime]} could not be read`);
  return parsed.options;
}

/** The one-line errors of compiling `text` as a file of `folder` under a runtime's options. */
export function compileProbe(runtime: keyof typeof RUNTIME_CONFIGS, folder: string, text: string, root = REPOSITORY_ROOT): string[] {
  const options = runtimeOptions(runtime, root);
  const probe = join(root, folder, '__probe__.ts');
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (file) => (file === probe ? text : readFile(file));
  host.fileExists = (file) => file === probe || fileExists(file);
  host.getSourceFile = (file, language, onError, create) =>
    file === probe ? ts.createSourceFile(file, text, language) : getSourceFile(file, language, onError, create);
  const program = ts.createProgram([probe], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}
