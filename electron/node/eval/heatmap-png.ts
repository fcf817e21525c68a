// The NIAH heatmap as a PNG (see heatmap.ts for the layout), drawn with the bitmap font.
import { drawText } from './bitmap-font.ts';
import { accuracyColor } from '../../common/niah-color.ts';
import { BACKGROUND, heatmapLayout, INK, MISSING, type HeatmapCell } from './heatmap.ts';
import { encodePng } from './png.ts';

export function renderHeatmapPng(cells: readonly HeatmapCell[], title?: string): Uint8Array {
  const layout = heatmapLayout(cells, title);
  const { width, height } = layout;
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) pixels.set(BACKGROUND, i * 3);
  for (const c of layout.cells) {
    const color = c.cell ? accuracyColor(c.cell.accuracy) : MISSING;
    // A one-pixel white gap between cells, as the SVG's stroke.
    for (let y = c.y + 1; y < c.y + c.h - 1; y++) for (let x = c.x + 1; x < c.x + c.w - 1; x++) pixels.set(color, (y * width + x) * 3);
  }
  for (const t of layout.labels) drawText(pixels, width, t.x, t.y, t.text, layout.scale, INK);
  for (const t of layout.values) drawText(pixels, width, t.x, t.y, t.text, layout.scale, [0, 0, 0]);
  return encodePng(width, height, pixels);
}
