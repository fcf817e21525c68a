import { MAX_XML_DEPTH } from './limits.ts';

// The text of an RTF document (a DOCX altChunk part typed application/rtf): groups, control words and escapes
// read as RTF 1.9 writes them. Destinations that hold no body text (font and colour tables, styles, document
// info, pictures, field instructions, anything marked \*) are skipped; \par and \line end lines, \tab and
// \cell separate, \'hh bytes are read in the document's ANSI code page and \uN as Unicode (its \ucN fallback
// characters dropped). Nesting deeper than MAX_XML_DEPTH is read as text of the deepest group.
const SKIPPED = new Set([
  'fonttbl', 'colortbl', 'stylesheet', 'info', 'pict', 'fldinst', 'header', 'headerl', 'headerr', 'headerf', 'footer',
  'footerl', 'footerr', 'footerf', 'listtable', 'listoverridetable', 'rsidtbl', 'generator', 'xmlnstbl', 'themedata',
  'colorschememapping', 'datastore', 'latentstyles', 'object', 'objdata', 'filetbl', 'revtbl', 'mmathPr',
]);
const BREAKS: Record<string, string> = { par: '\n', line: '\n', sect: '\n\n', page: '\n\n', row: '\n', tab: '\t', cell: ' | ' };
const SYMBOLS: Record<string, string> = {
  emdash: '—', endash: '–', lquote: '‘', rquote: '’', ldblquote: '“', rdblquote: '”', bullet: '•', emspace: ' ', enspace: ' ',
};

// The label TextDecoder knows for an RTF code page number (windows-1252 for one it does not).
function codePageLabel(number: string): string {
  const label = ({ '932': 'shift_jis', '936': 'gbk', '949': 'euc-kr', '950': 'big5' } as Record<string, string>)[number] ?? `windows-${number}`;
  try {
    new TextDecoder(label);
    return label;
  } catch {
    return 'windows-1252';
  }
}

export function rtfText(source: string): string {
  let codePage = 'windows-1252';
  const out: string[] = [];
  let bytes: number[] = [];
  const flushBytes = () => {
    if (bytes.length === 0) return;
    out.push(new TextDecoder(codePage).decode(new Uint8Array(bytes)));
    bytes = [];
  };
  // Per group: whether its text is skipped, and how many fallback characters follow a \u.
  const stack: Array<{ skip: boolean; uc: number }> = [{ skip: false, uc: 1 }];
  let fallback = 0;
  const emit = (text: string) => {
    if (stack[stack.length - 1].skip) return;
    flushBytes();
    out.push(text);
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    const group = stack[stack.length - 1];
    if (c === '{') {
      if (stack.length < MAX_XML_DEPTH) stack.push({ ...group });
      // A destination marked \* is one this reader may not know: skipped.
      if (source.startsWith('\\*', i + 1)) stack[stack.length - 1].skip = true;
      continue;
    }
    if (c === '}') {
      if (stack.length > 1) stack.pop();
      continue;
    }
    if (c === '\r' || c === '\n') continue;
    if (c !== '\\') {
      if (fallback > 0) fallback--;
      else emit(c);
      continue;
    }
    const next = source[i + 1] ?? '';
    if (next === "'") {
      const byte = parseInt(source.slice(i + 2, i + 4), 16);
      i += 3;
      if (fallback > 0) fallback--;
      else if (!group.skip && Number.isFinite(byte)) bytes.push(byte);
      continue;
    }
    const word = /^([a-zA-Z]{1,32})(-?\d{1,10})? ?/.exec(source.slice(i + 1, i + 48));
    if (!word) {
      // A control symbol: \\ \{ \} as themselves, \~ a no-break space, \- and \_ hyphens.
      i++;
      if (next === '~') emit('\u00a0');
      else if (next === '_') emit('-');
      else if (next === '\\' || next === '{' || next === '}') emit(next);
      continue;
    }
    i += word[0].length;
    const [, name, arg] = word;
    if (SKIPPED.has(name)) group.skip = true;
    else if (name === 'ansicpg' && arg) codePage = codePageLabel(arg);
    else if (name === 'uc' && arg) group.uc = Number(arg);
    else if (name === 'u' && arg) {
      emit(String.fromCharCode(Number(arg) < 0 ? Number(arg) + 65536 : Number(arg)));
      fallback = group.uc;
    } else if (name in BREAKS) emit(BREAKS[name]);
    else if (name in SYMBOLS) emit(SYMBOLS[name]);
  }
  flushBytes();
  return out.join('');
}
