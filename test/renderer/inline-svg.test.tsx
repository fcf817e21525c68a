// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { heatmapSvg } from '../../electron/node/eval/heatmap.ts';
import { parseSafeSvg } from '../../renderer/src/components/InlineSvg.tsx';

describe('drawings put in the page', () => {
  it('keeps the self-check heatmap whole, with the classes the theme colours', () => {
    const svg = parseSafeSvg(heatmapSvg([{ length: 1024, depth: 50, accuracy: 1 }, { length: 2048, depth: 50, accuracy: 0 }]))!;
    expect(svg.querySelectorAll('rect.hm-cell')).toHaveLength(2);
    expect(svg.querySelector('rect.hm-bg')).not.toBeNull();
    expect(svg.querySelector('text.hm-ink')).not.toBeNull();
  });

  it('refuses anything but plain shapes and text', () => {
    const wrap = (inner: string, attrs = '') => `<svg xmlns="http://www.w3.org/2000/svg"${attrs}>${inner}</svg>`;
    expect(parseSafeSvg(wrap('<rect x="1" y="1" width="2" height="2" fill="red"/>'))).not.toBeNull();
    expect(parseSafeSvg(wrap('<script>alert(1)</script>'))).toBeNull();
    expect(parseSafeSvg(wrap('', ' onload="alert(1)"'))).toBeNull();
    expect(parseSafeSvg(wrap('<rect style="fill:url(javascript:x)"/>'))).toBeNull();
    expect(parseSafeSvg(wrap('<a href="https://example.com"><text>x</text></a>'))).toBeNull();
    expect(parseSafeSvg(wrap('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'))).toBeNull();
    expect(parseSafeSvg('<html><body>not a drawing</body></html>')).toBeNull();
    expect(parseSafeSvg('<svg')).toBeNull();
  });
});
