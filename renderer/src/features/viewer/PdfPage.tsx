import { useEffect, useRef, useState } from 'react';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

// Device pixels per CSS pixel the page is drawn at, so text stays crisp on high-DPI screens.
const RENDER_SCALE = 2;

// One PDF page drawn by pdf.js (loaded on first use: most sessions never need it). The file is parsed in
// pdf.js's own worker, served from this app's origin as the CSP requires; eval is not available to it.
export function PdfPage({ bytes, pageNumber }: { bytes: Uint8Array; pageNumber: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [error, setError] = useState<string | null>(null);
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
        const page = await doc.getPage(pageNumber);
        const viewport = page.getViewport({ scale: RENDER_SCALE });
        const target = canvas.current;
        if (cancelled || !target) return;
        target.width = viewport.width;
        target.height = viewport.height;
        await page.render({ canvas: target, viewport }).promise;
      } catch (e) {
        if (!cancelled) setError((e as Error).message);
      }
    })();
    return () => {
      cancelled = true;
      destroy();
    };
  }, [bytes, pageNumber]);
  if (error) return <p className="install-error" role="alert">This page could not be drawn: {error}</p>;
  return <canvas ref={canvas} className="pdf-page" aria-label={`Page ${pageNumber} as printed`} />;
}
