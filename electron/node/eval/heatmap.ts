// The NIAH heatmap as in the UltraLong paper's figure: context length across, needle depth down (0% on top),
// each cell coloured from red (0) through yellow to green (1) with its accuracy written in it. One layout
// feeds both renderers (PNG for files, SVG for the app).
import { accuracyColor } from '../../common/niah-color.ts';
import { advance, GLYPH_HEIGHT, textWidth } from './bitmap-font.ts';

export interface HeatmapCell {
  length: number;
  depth: number;
  accuracy: number;
}

export interface HeatmapText {
  x: number;
  y: number; // top of the glyphs
  text: string;
}

export interface HeatmapLayout {
  width: number;
  height: number;
  scale: number; // font scale (5×7 glyphs times this)
  cells: { x: number; y: number; w: number; h: number; cell: HeatmapCell | null }[];
  labels: HeatmapText[]; // axis titles, ticks and the headline, drawn in dark grey
  values: HeatmapText[]; // accuracy percents, drawn in black over the cells
}

export const BACKGROUND = [255, 255, 255] as const;
export const INK = [40, 40, 40] as const;
export const MISSING = [200, 200, 200] as const;

// Powers of two read as 4K, 1M; other lengths as plain numbers.
export function lengthLabel(length: number): string {
  if (length >= 1 << 20 && length % (1 << 20) === 0) return `${length / (1 << 20)}M`;
  if (length >= 1 << 10 && length % (1 << 10) === 0) return `${length / (1 << 10)}K`;
  return String(length);
}

const percent = (accuracy: number) => String(Math.round(accuracy * 100));

export function heatmapLayout(cells: readonly HeatmapCell[], title = 'NIAH'): HeatmapLayout {
  const scale = 2;
  const pad = 12;
  const line = GLYPH_HEIGHT * scale;
  const lengths = [...new Set(cells.map((c) => c.length))].sort((a, b) => a - b);
  const depths = [...new Set(cells.map((c) => c.depth))].sort((a, b) => a - b);
  const mean = cells.length ? cells.reduce((n, c) => n + c.accuracy, 0) / cells.length : 0;
  const headline = `${title} - MEAN ${percent(mean)}%`;
  const yTitle = 'DEPTH %';
  const xTitle = 'CONTEXT LENGTH (TOKENS)';
  const cw = Math.max(44, ...lengths.map((l) => textWidth(lengthLabel(l), scale) + 8));
  const ch = line + 8;
  const gridX = pad + Math.max(...depths.map((d) => textWidth(String(d), scale))) + pad;
  const gridY = pad + line + pad + line + 6;
  const gridW = lengths.length * cw;
  const gridH = depths.length * ch;
  const width = Math.max(gridX + gridW + pad, 2 * pad + textWidth(headline, scale), gridX + textWidth(xTitle, scale) + pad);
  const height = gridY + gridH + 6 + line + pad + line + pad;
  const layout: HeatmapLayout = { width, height, scale, cells: [], labels: [], values: [] };
  layout.labels.push({ x: pad, y: pad, text: headline }, { x: pad, y: pad + line + pad, text: yTitle });
  depths.forEach((depth, row) => {
    const y = gridY + row * ch;
    layout.labels.push({ x: gridX - pad - textWidth(String(depth), scale), y: y + (ch - line) / 2, text: String(depth) });
    lengths.forEach((length, col) => {
      const x = gridX + col * cw;
      const cell = cells.find((c) => c.length === length && c.depth === depth) ?? null;
      layout.cells.push({ x, y, w: cw, h: ch, cell });
      if (cell) layout.values.push({ x: x + Math.floor((cw - textWidth(percent(cell.accuracy), scale)) / 2), y: y + (ch - line) / 2, text: percent(cell.accuracy) });
    });
  });
  lengths.forEach((length, col) => {
    const label = lengthLabel(length);
    layout.labels.push({ x: gridX + col * cw + Math.floor((cw - textWidth(label, scale)) / 2), y: gridY + gridH + 6, text: label });
  });
  layout.labels.push({ x: gridX + Math.max(0, Math.floor((gridW - textWidth(xTitle, scale)) / 2)), y: gridY + gridH + 6 + line + pad, text: xTitle });
  return layout;
}

const rgb = (c: readonly number[]) => `rgb(${c.join(',')})`;
const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

// The same figure as SVG text for the app (a monospace font at the bitmap font's size). Its colours are those of
// a white page; the classes let the app draw the page, the labels and the grid lines in its theme's colours
// (the cells keep theirs, and their values stay black on them): renderer/src/styles.css styles these classes.
const HEATMAP_CLASSES = { background: 'hm-bg', label: 'hm-ink', cell: 'hm-cell', missing: 'hm-missing' } as const;

export function heatmapSvg(cells: readonly HeatmapCell[], title?: string): string {
  const layout = heatmapLayout(cells, title);
  const size = advance(layout.scale) / 0.6; // monospace fonts advance ~0.6 em
  const text = (t: HeatmapText, color: readonly number[], cls?: string) =>
    `<text x="${t.x}" y="${t.y + GLYPH_HEIGHT * layout.scale}" fill="${rgb(color)}"${cls ? ` class="${cls}"` : ''}>${escapeXml(t.text)}</text>`;
  const cellClass = (c: HeatmapLayout['cells'][number]) => (c.cell ? HEATMAP_CLASSES.cell : `${HEATMAP_CLASSES.cell} ${HEATMAP_CLASSES.missing}`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" font-family="monospace" font-size="${size.toFixed(1)}">`,
    `<rect width="100%" height="100%" fill="${rgb(BACKGROUND)}" class="${HEATMAP_CLASSES.background}"/>`,
    ...layout.cells.map((c) => `<rect x="${c.x}" y="${c.y}" width="${c.w}" height="${c.h}" fill="${rgb(c.cell ? accuracyColor(c.cell.accuracy) : MISSING)}" stroke="white" class="${cellClass(c)}"/>`),
    ...layout.labels.map((t) => text(t, INK, HEATMAP_CLASSES.label)),
    ...layout.values.map((t) => text(t, [0, 0, 0])),
    '</svg>',
  ].join('\n');
}
