import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { renderHeatmapPng } from '../../../electron/node/eval/heatmap-png.ts';
import { accuracyColor } from '../../../electron/common/niah-color.ts';
import { heatmapLayout, heatmapSvg, lengthLabel } from '../../../electron/node/eval/heatmap.ts';
import { crc32, PNG_SIGNATURE } from '../../../electron/node/eval/png.ts';

// A PNG reader just for these checks: chunks with their CRCs, IHDR, and unfiltered RGB rows.
function decodePng(png: Uint8Array) {
  expect(Array.from(png.subarray(0, 8))).toEqual(Array.from(PNG_SIGNATURE));
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: { type: string; data: Uint8Array }[] = [];
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    const type = Buffer.from(png.subarray(at + 4, at + 8)).toString('ascii');
    const data = png.subarray(at + 8, at + 8 + length);
    expect(view.getUint32(at + 8 + length), `${type} CRC`).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
    chunks.push({ type, data });
    at += 12 + length;
  }
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  const ihdr = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset);
  const width = ihdr.getUint32(0);
  const height = ihdr.getUint32(4);
  expect(Array.from(chunks[0].data.subarray(8))).toEqual([8, 2, 0, 0, 0]);
  const raw = inflateSync(chunks[1].data);
  expect(raw.length).toBe(height * (1 + width * 3));
  const pixel = (x: number, y: number) => {
    const row = y * (1 + width * 3);
    expect(raw[row]).toBe(0);
    return Array.from(raw.subarray(row + 1 + x * 3, row + 4 + x * 3));
  };
  return { width, height, pixel };
}

const cells = [256, 1024, 4096].flatMap((length) => [0, 50, 100].map((depth) => ({ length, depth, accuracy: depth === 0 ? 0 : depth === 50 ? 0.5 : 1 })));

describe('renderHeatmapPng', () => {
  it('writes a valid PNG of the layout`s size with red 0% cells and green 100% cells', () => {
    const layout = heatmapLayout(cells);
    const { width, height, pixel } = decodePng(renderHeatmapPng(cells));
    expect([width, height]).toEqual([layout.width, layout.height]);
    for (const c of layout.cells) {
      // A corner inside the cell, clear of its centred value.
      const [r, g, b] = pixel(c.x + 3, c.y + 3);
      if (c.cell!.accuracy === 0) expect(r > 180 && g < 80 && b < 80, `red at depth 0: ${[r, g, b]}`).toBe(true);
      if (c.cell!.accuracy === 1) expect(g > 120 && r < 60, `green at depth 100: ${[r, g, b]}`).toBe(true);
      if (c.cell!.accuracy === 0.5) expect(r > 200 && g > 200, `yellow in the middle: ${[r, g, b]}`).toBe(true);
    }
    // The cell values and axis labels are drawn: dark pixels inside a cell and left of the grid.
    const dark = (x0: number, y0: number, w: number, h: number) => {
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) if (pixel(x, y).every((v) => v < 80)) return true;
      return false;
    };
    const first = layout.cells[0];
    expect(dark(first.x, first.y, first.w, first.h)).toBe(true);
    expect(dark(0, first.y, first.x, first.h)).toBe(true);
    expect(dark(first.x, first.y + 3 * first.h, 3 * first.w, height - first.y - 3 * first.h)).toBe(true);
  });

  it('lays out length across and depth down, 0% on top, labels in K and M', () => {
    const layout = heatmapLayout(cells);
    const at = (length: number, depth: number) => layout.cells.find((c) => c.cell?.length === length && c.cell.depth === depth)!;
    expect(at(1024, 0).x).toBeGreaterThan(at(256, 0).x);
    expect(at(256, 100).y).toBeGreaterThan(at(256, 0).y);
    expect(layout.labels.map((l) => l.text)).toEqual(expect.arrayContaining(['256', '1K', '4K', '0', '50', '100', 'DEPTH %', 'CONTEXT LENGTH (TOKENS)']));
    expect(lengthLabel(1 << 20)).toBe('1M');
    expect(lengthLabel(1000)).toBe('1000');
    expect(accuracyColor(0)).toEqual([215, 48, 39]);
    expect(accuracyColor(1)).toEqual([26, 152, 80]);
  });

  it('has an SVG twin with one rect per cell and the values as text', () => {
    const svg = heatmapSvg(cells);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect x=/g)).toHaveLength(cells.length);
    expect(svg).toContain('>100</text>');
    expect(svg).toContain(`fill="rgb(${accuracyColor(0).join(',')})"`);
  });
});
