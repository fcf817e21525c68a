// @vitest-environment jsdom
// Issue 25 point 5: a file over its format's limit is refused when it is dropped, by its size, without being
// read; sizes in the units a file manager shows.
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { sizeRefusal } from '../../electron/common/document-files.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

// A file whose size is what the file manager says (the bytes behind it are never needed).
function fileOfSize(name: string, size: number) {
  const file = new File(['small'], name);
  Object.defineProperty(file, 'size', { value: size });
  const read = vi.spyOn(file, 'arrayBuffer');
  return { file, read };
}

describe('size limits at drop time', () => {
  it('refuses a 139 MB text file at once, unread, and imports the file dropped with it', async () => {
    const backend = fakeBackend();
    await mountApp(backend);
    fireEvent.click(screen.getByRole('button', { name: /Library/ }));
    const big = fileOfSize('Pride and Prejudice x40.txt', 139_400_000);
    const small = fileOfSize('notes.txt', 5);
    const input = screen.getByLabelText('Choose files to import') as HTMLInputElement;
    Object.defineProperty(input, 'files', { value: [big.file, small.file], configurable: true });
    act(() => void fireEvent.change(input));
    const imports = screen.getByRole('list', { name: 'Imports' });
    // Said in the same render as the drop: no read, no upload, no wait.
    const row = within(imports).getByText('Pride and Prejudice x40.txt').closest('li')!;
    expect(row.className).toContain('failed');
    expect(row.textContent).toContain('139 MB is over the 50.0 MB limit for TXT files');
    await waitFor(() => expect(backend.state.log.filter((c) => c.name === 'library.import')).toHaveLength(1));
    expect(big.read).not.toHaveBeenCalled();
    expect(small.read).toHaveBeenCalled();
    expect(backend.state.log.find((c) => c.name === 'library.import')!.payload).toMatchObject({ name: 'notes.txt' });
  });

  it('holds each format to its own limit, and a name without a known extension to the largest', () => {
    expect(sizeRefusal('scan.pdf', 150_000_000)).toBeNull();
    expect(sizeRefusal('scan.PDF', 200_000_001)).toBe('200 MB is over the 200 MB limit for PDF files');
    expect(sizeRefusal('book.epub', 100_000_000)).toBeNull();
    expect(sizeRefusal('book.epub', 120_500_000)).toBe('121 MB is over the 100 MB limit for EPUB files');
    expect(sizeRefusal('README', 150_000_000)).toBeNull();
    expect(sizeRefusal('README', 250_000_000)).toBe('250 MB is over the 200 MB limit for any document');
  });
});
