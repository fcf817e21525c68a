import { useEffect, useMemo, useRef, useState } from 'react';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import { findBoxes, type PageTextItem } from './page-find.ts';

// Device pixels per CSS pixel the page is drawn at, so text stays crisp on high-DPI screens.
const RENDER_SCALE = 2;

// One PDF page drawn by pdf.js (loaded on first use: most sessions never need it). The file is parsed in
// pdf.js's own worker, served from this app's origin as the CSP requires; eval is not available to it. Matches
// of the viewer's find text are marked over the drawn page (page-find.ts).
export function PdfPage({ bytes, pageNumber, find }: { bytes: Uint8Array; pageNumber: number; find: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [page, setPage] = useState<{ items: PageTextItem[]; width: number; height: number } | null>(null);
  useEffect(() => {
    let cancelled = false;
    let destroy = () => undefined as unknown;
    void (async () => {
      try {
        const pdfjs = await import('pdfjs-dist');
        pdfjs.GlobalWorkerOptions.workerSrc = workerUrl;
        const task = pdfjs.getDocument({ data: bytes.slice(), enableXfa: false });
        destroy = () => task.destroy();
        const doc = await task.promise;
        const pdfPage = await doc.getPage(pageNumber);
        const viewport = pdfPage.getViewport({ scale: RENDER_SCALE });
        const target = canvas.current;
        if (cancelled || !target) return;
        target.width = viewport.width;
        target.height = viewport.height;
        await pdfPage.render({ canvas: target, viewport }).promise;
        const unit = pdfPage.getViewport({ scale: 1 });
        const content = await pdfPage.getTextContent();
        const items = content.items
          .filter((i) => 'str' in i)
          .map((i) => ({ str: i.str, width: i.width, hasEOL: i.hasEOL, transform: pdfjs.Util.transform(unit.transform, i.transform) }));
        if (!cancelled) setPage({ items, width: unit.width, height: unit.height });
      } catch (e) {
        if (!cancelled) setError((e as Error).message);
      }
    })();
    return () => {
      cancelled = true;
      destroy();
    };
  }, [bytes, pageNumber]);
  const boxes = useMemo(() => (page ? findBoxes(page.items, find, page.width, page.height) : []), [page, find]);
  if (error) return <p className="install-error" role="alert">This page could not be drawn: {error}</p>;
  return (
    <div className="pdf-page-frame">
      <canvas ref={canvas} className="pdf-page" aria-label={`Page ${pageNumber} as printed`} />
      {boxes.map((b, i) => (
        <mark key={i} className="pdf-find-mark" data-testid="page-mark" style={{ left: `${b.left}%`, top: `${b.top}%`, width: `${b.width}%`, height: `${b.height}%` }} />
      ))}
    </div>
  );
}
