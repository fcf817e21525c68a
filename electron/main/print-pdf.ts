import { BrowserWindow } from 'electron';

// PDF export in the desktop app: the export's self-contained HTML, printed by Electron's own Chromium in a
// hidden window with JavaScript off (the page is data from the model and the documents, never code).
export async function printHtmlToPdf(html: string): Promise<Uint8Array<ArrayBuffer>> {
  const window = new BrowserWindow({ show: false, webPreferences: { javascript: false, sandbox: true, contextIsolation: true, nodeIntegration: false } });
  try {
    await window.loadURL(`data:text/html;charset=utf-8;base64,${Buffer.from(html).toString('base64')}`);
    const pdf = await window.webContents.printToPDF({ printBackground: true, pageSize: 'A4' });
    return new Uint8Array(pdf);
  } finally {
    window.destroy();
  }
}
