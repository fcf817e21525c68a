import type { NiahCell } from '../../../electron/common/contract.ts';
import { formatTokens } from '../../../electron/common/format.ts';
import { accuracyColor } from '../../../electron/common/niah-color.ts';

// The self-check as a chart: document length across, where the fact was hidden down (the start on top), each
// cell coloured by the share of needles found, with its axes, their titles and the colour scale's legend.
// Drawn from the cells as they arrive, so the chart fills in while the check runs.
const CELL_W = 64;
const CELL_H = 30;
const LEFT = 76;
const TOP = 12;
const LEGEND_GAP = 28;
const LEGEND_W = 14;
const rgb = (accuracy: number) => `rgb(${accuracyColor(accuracy).join(',')})`;
const percent = (accuracy: number) => `${Math.round(accuracy * 100)}%`;

export function NiahChart({ cells, label }: { cells: NiahCell[]; label: string }) {
  const lengths = [...new Set(cells.map((c) => c.length))].sort((a, b) => a - b);
  const depths = [...new Set(cells.map((c) => c.depth))].sort((a, b) => a - b);
  const gridW = Math.max(1, lengths.length) * CELL_W;
  const gridH = Math.max(1, depths.length) * CELL_H;
  const legendX = LEFT + gridW + LEGEND_GAP;
  const width = legendX + LEGEND_W + 64;
  const height = TOP + gridH + 56;
  return (
    <figure className="niah-chart">
      <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={label}>
        <title>{label}</title>
        <defs>
          <linearGradient id="niah-scale" x1="0" y1="1" x2="0" y2="0">
            {[0, 0.25, 0.5, 0.75, 1].map((t) => <stop key={t} offset={t} stopColor={rgb(t)} />)}
          </linearGradient>
        </defs>
        {depths.map((depth, row) => (
          <text key={depth} className="niah-tick" x={LEFT - 8} y={TOP + row * CELL_H + CELL_H / 2} textAnchor="end" dominantBaseline="middle">{depth}%</text>
        ))}
        {lengths.map((length, col) => (
          <text key={length} className="niah-tick" x={LEFT + col * CELL_W + CELL_W / 2} y={TOP + gridH + 16} textAnchor="middle">{formatTokens(length)}</text>
        ))}
        {depths.flatMap((depth, row) =>
          lengths.map((length, col) => {
            const cell = cells.find((c) => c.length === length && c.depth === depth);
            const x = LEFT + col * CELL_W;
            const y = TOP + row * CELL_H;
            return (
              <g key={`${length}:${depth}`} data-testid="niah-cell">
                <rect className={cell ? 'niah-cell' : 'niah-cell pending'} x={x} y={y} width={CELL_W} height={CELL_H} fill={cell ? rgb(cell.accuracy) : undefined}>
                  {cell ? <title>{`${formatTokens(length)} tokens, fact at ${depth}%: ${percent(cell.accuracy)} found`}</title> : null}
                </rect>
                {cell ? <text className="niah-value" x={x + CELL_W / 2} y={y + CELL_H / 2} textAnchor="middle" dominantBaseline="middle">{percent(cell.accuracy)}</text> : null}
              </g>
            );
          }),
        )}
        <text className="niah-axis" x={LEFT + gridW / 2} y={TOP + gridH + 38} textAnchor="middle">Document length (tokens)</text>
        <text className="niah-axis" transform={`translate(14 ${TOP + gridH / 2}) rotate(-90)`} textAnchor="middle">Where the fact was</text>
        <g aria-label="Colour scale: share of needles found">
          <rect x={legendX} y={TOP} width={LEGEND_W} height={gridH} fill="url(#niah-scale)" className="niah-legend" />
          {[1, 0.5, 0].map((t) => (
            <text key={t} className="niah-tick" x={legendX + LEGEND_W + 6} y={TOP + (1 - t) * gridH} dominantBaseline="middle">{percent(t)}</text>
          ))}
          <text className="niah-axis" x={legendX + LEGEND_W / 2} y={TOP + gridH + 16} textAnchor="middle">found</text>
        </g>
      </svg>
    </figure>
  );
}
