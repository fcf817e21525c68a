import type { PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';

// Where the words of a letter-spaced run end, read from the glyphs the page shows. pdf.js's text items only
// say that every gap of such a run was wide (it writes a space for each), so a word space no wider than
// 0.6 em — the space glyph plus twice a small tracking — is lost among them. The operator list has what the
// producer wrote: each glyph and its width, the character spacing (Tc) in force, the TJ adjustments and the
// text positioning. The gap between two glyphs of a baseline is measured in ems of the font size; the line's
// letter gap is its median (the tracking); a word ends at a space glyph, or where a gap exceeds the letter
// gap by more than WORD_GAP_EM (a space glyph is about a quarter of an em, kerning a few hundredths).
const WORD_GAP_EM = 0.15;

export interface WordBreaks {
  // The page's shown letters (whitespace left out), in content-stream order.
  letters: string;
  // Offsets into `letters` before which a word ends.
  breaks: Set<number>;
}

interface Glyph {
  unicode: string;
  width: number;
  isSpace: boolean;
}

interface TextState {
  charSpacing: number;
  wordSpacing: number;
  size: number;
}

// Positions along the baseline in user space: the text matrix's origin plus its scale times the advance in
// text space (rotated and skewed text matrices are only compared with themselves).
interface Baseline {
  key: string;
  scale: number;
  origin: number;
}

// Undefined when pdf.js cannot list the page's operators: the runs are then joined without word ends rather
// than the page lost.
export async function glyphWordBreaks(page: PDFPageProxy, ops: Record<string, number>): Promise<WordBreaks | undefined> {
  // The intent OCR's image check and render use, so pdf.js parses the page once for all of them.
  const list = await page.getOperatorList({ intent: 'display' }).catch(() => undefined);
  if (!list) return undefined;
  let letters = '';
  const breaks = new Set<number>();
  let state: TextState = { charSpacing: 0, wordSpacing: 0, size: 1 };
  const saved: TextState[] = [];
  let baseline: Baseline = { key: '', scale: 1, origin: 0 };
  let lineX = 0;
  let x = 0;
  // The current baseline, where its last glyph ended, whether a space glyph followed it, and each gap
  // between its glyphs: where it falls in `letters` and its width in ems.
  let line: Baseline | undefined;
  let lastEnd: number | undefined;
  let spaced = false;
  let gaps: Array<{ at: number; em: number }> = [];
  const endLine = () => {
    if (gaps.length) {
      const letterGap = gaps.map((g) => g.em).sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
      for (const g of gaps) if (g.em > letterGap + WORD_GAP_EM || g.em < -0.5) breaks.add(g.at);
    }
    gaps = [];
    if (letters) breaks.add(letters.length);
    line = lastEnd = undefined;
    spaced = false;
  };
  const setMatrix = (m: number[]) => {
    baseline = { key: m.slice(0, 4).concat(m[5]).map((v) => v.toFixed(3)).join(','), scale: m[0] || 1, origin: m[4] };
    lineX = x = 0;
  };

  list.fnArray.forEach((fn, i) => {
    const args = list.argsArray[i] as unknown[];
    if (fn === ops.save) saved.push({ ...state });
    else if (fn === ops.restore) state = saved.pop() ?? state;
    else if (fn === ops.setFont) state.size = Math.abs(Number(args[1])) || 1;
    else if (fn === ops.setCharSpacing) state.charSpacing = Number(args[0]) || 0;
    else if (fn === ops.setWordSpacing) state.wordSpacing = Number(args[0]) || 0;
    else if (fn === ops.beginText) setMatrix([1, 0, 0, 1, 0, 0]);
    // pdf.js passes the matrix as one typed array.
    else if (fn === ops.setTextMatrix) setMatrix(Array.from(args[0] as ArrayLike<number>, Number));
    else if (fn === ops.moveText || fn === ops.setLeadingMoveText || fn === ops.nextLine) {
      const [tx, ty] = fn === ops.nextLine ? [0, 1] : (args as number[]).map(Number);
      // A move off the baseline starts a line of its own; the text matrix is not followed further down.
      if (ty !== 0) baseline = { ...baseline, key: `${baseline.key}/${i}` };
      lineX += tx;
      x = lineX;
    } else if (fn === ops.showText && Array.isArray(args[0])) {
      if (line && line.key !== baseline.key) endLine();
      line ??= baseline;
      const em = Math.abs(baseline.scale) * state.size;
      for (const glyph of args[0] as Array<Glyph | number>) {
        if (typeof glyph === 'number') {
          x -= (glyph / 1000) * state.size;
          continue;
        }
        const at = baseline.origin + baseline.scale * x;
        const advance = (glyph.width / 1000) * state.size;
        x += advance + state.charSpacing + (glyph.isSpace ? state.wordSpacing : 0);
        if (glyph.isSpace || /^\s*$/.test(glyph.unicode)) {
          spaced = true;
          continue;
        }
        if (spaced) breaks.add(letters.length);
        else if (lastEnd !== undefined) gaps.push({ at: letters.length, em: (at - lastEnd) / em });
        spaced = false;
        lastEnd = at + baseline.scale * advance;
        letters += glyph.unicode.replace(/\s+/g, '');
      }
    }
  });
  endLine();
  return { letters, breaks };
}

// The letters of a letter-spaced item (its spaces dropped) with a space put back wherever the page's glyphs
// end a word; `from` is where the search starts, as items come in the page's order.
export function splitWords(letters: string, words: WordBreaks, from: number): { text: string; next: number } | undefined {
  const at = words.letters.indexOf(letters, from);
  if (at < 0) return undefined;
  let text = '';
  for (let k = 0; k < letters.length; k++) {
    if (k > 0 && words.breaks.has(at + k)) text += ' ';
    text += letters[k];
  }
  return { text, next: at + letters.length };
}
