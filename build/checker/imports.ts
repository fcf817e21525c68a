import { existsSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

// Every way a source file can name another module, read by the TypeScript parser rather than a regex, so a
// multi-line import, an `export * from`, a template-literal `import()`, `require()`, `import x = require()` and a
// type-level `import('x')` are all seen. A dynamic import of a computed name cannot be checked and is not reported.

export const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.jsx'];

export interface ImportSite {
  /** The module name as written, without a `?query` suffix (Vite's `?url`, `?raw`). */
  specifier: string;
  line: number;
  /** Erased when compiled (`import type`, `export type`, every name `type`-marked, a type-level `import('x')`). */
  typeOnly: boolean;
}

export type Target =
  | { kind: 'file'; path: string }
  | { kind: 'package'; name: string }
  | { kind: 'builtin'; name: string; prefixed: boolean };

function scriptKind(file: string): ts.ScriptKind {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (file.endsWith('.jsx')) return ts.ScriptKind.JSX;
  if (/\.[mc]?js$/.test(file)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

function literalText(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

function namedBindingsTypeOnly(elements: readonly { isTypeOnly: boolean }[] | undefined): boolean {
  return elements !== undefined && elements.length > 0 && elements.every((e) => e.isTypeOnly);
}

function declarationTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) {
    return node.isTypeOnly || (node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && namedBindingsTypeOnly(node.exportClause.elements));
  }
  const clause = node.importClause;
  if (!clause) return false; // a side-effect import runs the module
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  return clause.name === undefined && named !== undefined && ts.isNamedImports(named) && namedBindingsTypeOnly(named.elements);
}

/** The import sites of one source file's text. */
export function readImports(file: string, text: string): ImportSite[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, scriptKind(file));
  const sites: ImportSite[] = [];
  const add = (specifier: string | undefined, node: ts.Node, typeOnly: boolean) => {
    if (specifier === undefined) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    sites.push({ specifier: specifier.replace(/\?.*$/, ''), line, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      add(literalText(node.moduleSpecifier), node, declarationTypeOnly(node));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(literalText(node.moduleReference.expression), node, node.isTypeOnly);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if (isImport || isRequire) add(literalText(node.arguments[0]), node, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(literalText(node.argument.literal), node, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

function resolveFile(base: string): string {
  if (existsSync(base) && statSync(base).isFile()) return base;
  // `./x.js` written for a `./x.ts` source, then extension-less and folder imports.
  const stem = base.replace(/\.[mc]?jsx?$/, '');
  const candidates = [...SOURCE_EXTENSIONS.map((ext) => stem + ext), ...SOURCE_EXTENSIONS.map((ext) => join(base, 'index' + ext))];
  return candidates.find((c) => existsSync(c)) ?? base;
}

/** What a specifier written in `file` names: a file (path relative to `root`, `/`-separated), a package or a Node built-in. */
export function resolveTarget(root: string, file: string, specifier: string): Target {
  if (specifier.startsWith('node:')) return { kind: 'builtin', name: specifier.slice(5), prefixed: true };
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const absolute = specifier.startsWith('/') ? join(root, specifier) : join(dirname(join(root, file)), specifier);
    return { kind: 'file', path: relative(root, resolveFile(absolute)).split(sep).join('/') };
  }
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  if (builtinModules.includes(parts[0]) && !specifier.startsWith('@')) return { kind: 'builtin', name: parts[0], prefixed: false };
  return { kind: 'package', name };
}
