import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

// Long functions: every function, method, accessor, constructor or arrow function whose body spans more than
// the limit, unless the comment directly above it (or above the statement it starts on) carries the marker
// with a reason.

export const FUNCTION_LINE_LIMIT = 80;
export const LONG_FUNCTION_MARKER = '// long-function:';

export interface LongFunction {
  file: string;
  /** The function's name as written (`startApiServer`, `Class.method`), or `(anonymous)`. */
  name: string;
  line: number;
  lines: number;
  /** The reason written after the marker, or undefined when there is none. */
  reason: string | undefined;
}

function nameOf(node: ts.FunctionLikeDeclaration): string {
  const own = node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name) || ts.isPrivateIdentifier(node.name)) ? node.name.text : undefined;
  const parent = node.parent;
  const holder = ts.isClassLike(parent) && parent.name ? `${parent.name.text}.` : '';
  if (ts.isConstructorDeclaration(node)) return `${holder}constructor`;
  if (own) return holder + own;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText();
  return '(anonymous)';
}

/** The reason in the comment block that ends on the line above `line` (1-based), if it has the marker. */
function markedReason(lines: string[], line: number): string | undefined {
  for (let i = line - 2; i >= 0 && /^\s*(\/\/|\/\*|\*)/.test(lines[i]); i--) {
    const at = lines[i].indexOf(LONG_FUNCTION_MARKER);
    if (at >= 0) return lines[i].slice(at + LONG_FUNCTION_MARKER.length).trim() || undefined;
  }
  return undefined;
}

/** The functions of one file whose body is longer than `limit` lines. */
export function longFunctions(file: string, text: string, limit = FUNCTION_LINE_LIMIT): LongFunction[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const lines = text.split('\n');
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const fn = node as ts.FunctionLikeDeclaration;
      const body = fn.body!;
      const length = lineOf(body.getEnd()) - lineOf(body.getStart(source)) + 1;
      if (length > limit) {
        const line = lineOf(fn.getStart(source));
        // A `const f = () => {` or a callback starts on its statement's line: the comment sits above that line.
        found.push({ file, name: nameOf(fn), line, lines: length, reason: markedReason(lines, line) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

export function longFunctionsIn(root: string, files: string[], limit = FUNCTION_LINE_LIMIT): LongFunction[] {
  return files.flatMap((file) => longFunctions(file, readFileSync(join(root, file), 'utf8'), limit));
}
