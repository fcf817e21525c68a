import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { QuireError } from '../../common/errors.ts';

// Turns the HTML export into a PDF. The desktop app prints with Electron's own Chromium (printToPDF); the
// browser mode and the CLI print the same page with the Chromium or Chrome installed on the machine.
export type PdfPrinter = (html: string) => Promise<Uint8Array<ArrayBuffer>>;

const PRINT_TIMEOUT_MS = 60_000;

const CANDIDATES: Record<string, string[]> = {
  linux: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium', '/usr/bin/microsoft-edge'],
  darwin: ['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium', '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge'],
  win32: [
    'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
    'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
  ],
};

export function findChromium(env: NodeJS.ProcessEnv = process.env, platform: string = process.platform): string | null {
  const candidates = [env.QUIRE_CHROMIUM, ...(CANDIDATES[platform] ?? [])].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p)) ?? null;
}

export function chromiumPdfPrinter(binary = findChromium()): PdfPrinter {
  return async (html) => {
    if (!binary) throw new QuireError('NOT_FOUND', 'PDF export needs Chromium, Chrome or Edge installed (or QUIRE_CHROMIUM set); the HTML export prints to PDF from any browser');
    const dir = await mkdtemp(join(tmpdir(), 'quire-pdf-'));
    try {
      const page = join(dir, 'export.html');
      const out = join(dir, 'export.pdf');
      await writeFile(page, html);
      const args = [
        '--headless',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-pdf-header-footer',
        `--user-data-dir=${join(dir, 'profile')}`,
        `--print-to-pdf=${out}`,
        // Chromium refuses to start its sandbox as root (containers, CI).
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
        pathToFileURL(page).href,
      ];
      await new Promise<void>((resolve, reject) =>
        execFile(binary, args, { timeout: PRINT_TIMEOUT_MS }, (error) =>
          error ? reject(new QuireError('INTERNAL', `printing the PDF failed: ${error.message.split('\n')[0]}`)) : resolve(),
        ),
      );
      return new Uint8Array(await readFile(out));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
