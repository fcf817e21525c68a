import { useEffect, useRef } from 'react';

// Drawings from the main process (the self-check heatmap) are put in the page itself rather than in an <img>,
// so the theme's colours reach them. Only plain shapes and text are kept: any other element, any attribute
// outside this list (event handlers, links, styles), and the drawing is refused.
const ELEMENTS = new Set(['svg', 'g', 'rect', 'text', 'title']);
const ATTRIBUTES = new Set(['xmlns', 'width', 'height', 'viewBox', 'x', 'y', 'fill', 'stroke', 'class', 'font-family', 'font-size', 'text-anchor']);

export function parseSafeSvg(markup: string): SVGSVGElement | null {
  const parsed = new DOMParser().parseFromString(markup, 'image/svg+xml');
  const root = parsed.documentElement;
  if (root.localName !== 'svg' || root.namespaceURI !== 'http://www.w3.org/2000/svg') return null;
  for (const el of [root, ...root.querySelectorAll('*')]) {
    if (!ELEMENTS.has(el.localName) || el.namespaceURI !== root.namespaceURI) return null;
    if ([...el.attributes].some((a) => !ATTRIBUTES.has(a.name))) return null;
  }
  return document.importNode(root, true) as unknown as SVGSVGElement;
}

export function InlineSvg({ markup, label, className }: { markup: string; label: string; className: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const svg = parseSafeSvg(markup);
    // The box carries the drawing's name; its texts are not read out one by one.
    svg?.setAttribute('aria-hidden', 'true');
    box.current?.replaceChildren(...(svg ? [svg] : []));
  }, [markup]);
  return <div ref={box} className={className} role="img" aria-label={label} />;
}
