import { QuireError } from '../common/errors.ts';
import type { DocumentModel } from '../common/document.ts';
import { extractFile } from '../node/documents/extract.ts';
import { parseCommandArgs } from './args.ts';
import { canPrompt, promptSecret } from './secret-prompt.ts';
import { basename } from 'node:path';
import { jsonOutput, type Command } from './command.ts';

const USAGE = 'quire extract <file> [--json] [--password <password>]';
const PREVIEW_CHARS = 400;

function summary(path: string, doc: DocumentModel): string {
  const counts = new Map<string, number>();
  for (const a of doc.anchors) counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1);
  const plural = (n: number, word: string) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
  const anchors = [...counts].map(([kind, n]) => plural(n, kind)).join(', ');
  const pages = doc.anchors.filter((a) => a.kind === 'page');
  const lines = [
    `${path}`,
    `  format    ${doc.format}`,
    `  title     ${doc.title}`,
    `  text      ${plural(doc.chars, 'character')}, ${plural(doc.text.split(/\s+/).filter(Boolean).length, 'word')}`,
    `  anchors   ${anchors || 'none'}`,
  ];
  if (pages.length) lines.push(`  pages     ${pages[0].label} … ${pages[pages.length - 1].label}`);
  for (const w of doc.warnings) lines.push(`  warning   ${w}`);
  const preview = doc.text.slice(0, PREVIEW_CHARS).replace(/\s+/g, ' ').trim();
  lines.push('', `  ${preview}${doc.chars > PREVIEW_CHARS ? ' …' : ''}`, '');
  return lines.join('\n');
}

export const extract: Command = {
  summary: 'extract a document (PDF, EPUB, DOCX, TXT/MD, HTML, SRT/VTT) into text with anchors',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, password: { type: 'string' } }, USAGE);
    if (positionals.length !== 1) throw new QuireError('USAGE', `expected one file (usage: ${USAGE})`);
    const path = positionals[0];
    // A protected PDF opens with --password, or with the password asked for on the terminal; it is handed to
    // the parser for this reading and kept nowhere.
    const doc = await extractFile(path, { password: values.password }).catch(async (error: unknown) => {
      if ((error as QuireError).code !== 'ENCRYPTED' || values.password !== undefined || !canPrompt(io) || !/\.pdf$/i.test(path)) throw error;
      return extractFile(path, { password: await promptSecret(`Password for ${basename(path)}: `, io) });
    });
    io.stdout(values.json ? jsonOutput(doc, 2) : summary(path, doc));
    return 0;
  },
};
