import type { LibraryEntry } from '../../../electron/common/contract.ts';
import type { ImportProgress } from '../../../electron/common/document.ts';
import type { QuireError } from '../../../electron/common/errors.ts';
import { ocrLanguageForLocale, type OcrLanguage } from '../../../electron/common/ocr-languages.ts';
import { sizeRefusal } from '../../../electron/common/document-files.ts';
import type { SliceCreator } from './app-store.ts';

export interface ImportJob {
  name: string;
  // Files go one at a time: the later ones wait their turn, then are imported (read from the disk on the way).
  state: 'waiting' | 'importing' | 'failed';
  error?: string;
  // The backend's progress: checking the file, extracting pages/chapters, storing.
  progress?: ImportProgress;
  // A PDF refused as password-protected: its password can be given to import it (unlockImport).
  locked?: boolean;
}


export interface LibrarySlice {
  documents: LibraryEntry[];
  filter: string;
  imports: ImportJob[];
  // The sample book imported for a first try, and the questions it answers.
  sample: { documentId: string; questions: string[] } | null;
  // The language scanned pages of the next imports are read in.
  ocrLanguage: OcrLanguage;
  setFilter(filter: string): void;
  setOcrLanguage(language: OcrLanguage): void;
  cancelImport(name: string): Promise<void>;
  trySample(): Promise<void>;
  // Clears a failed import's row.
  dismissImport(name: string): void;
  refreshLibrary(): Promise<void>;
  // `size` is known before reading (File.size): a file over its format's limit is refused without being read.
  // The file goes to the call unread: the transport streams it to the server or reads it for IPC.
  importFiles(files: File[]): Promise<void>;
  // Imports a locked PDF again with its password, which goes with that one call and is kept nowhere.
  unlockImport(name: string, password: string): Promise<void>;
  deleteDocument(id: string): Promise<void>;
  onImportProgress(progress: ImportProgress & { name: string }): void;
}

export const createLibrarySlice: SliceCreator<LibrarySlice> = (set, get, api) => {
  const updateJob = (name: string, patch: Partial<ImportJob> | null) =>
    set({
      imports: patch
        ? get().imports.map((job) => (job.name === name ? { ...job, ...patch } : job))
        : get().imports.filter((job) => job.name !== name),
    });
  // Files refused as password-protected, kept until their password is given or their row dismissed.
  const locked = new Map<string, File>();
  const importOne = async (file: File, password?: string) => {
    try {
      updateJob(file.name, { state: 'importing', error: undefined, locked: false });
      const imported = await api.call('library.import', { name: file.name, bytes: file, ocrLanguage: get().ocrLanguage, ...(password ? { password } : {}) });
      locked.delete(file.name);
      updateJob(file.name, null);
      // The same bytes again: nothing new was stored, and the user should know why no row appeared.
      if (imported.duplicate) get().notify('info', `${file.name} is already in the library as “${imported.title}”.`);
    } catch (error) {
      const code = (error as QuireError).code;
      // A cancel is the user's own choice, not a failure to show: the row just goes.
      if (code === 'CANCELLED') updateJob(file.name, null);
      else {
        const lockedPdf = code === 'ENCRYPTED' && /\.pdf$/i.test(file.name);
        if (lockedPdf) locked.set(file.name, file);
        updateJob(file.name, { state: 'failed', error: (error as Error).message, locked: lockedPdf });
      }
    }
  };
  return {
    documents: [],
    filter: '',
    imports: [],
    sample: null,
    ocrLanguage: ocrLanguageForLocale(globalThis.navigator?.language),
    setFilter: (filter) => set({ filter }),
    setOcrLanguage: (ocrLanguage) => set({ ocrLanguage }),
    async cancelImport(name) {
      // The import's own call then fails with CANCELLED, which removes its row.
      await api.call('library.cancelImport', { name });
    },
    async trySample() {
      try {
        const { document, questions } = await api.call('library.sample', {});
        set({ sample: { documentId: document.id, questions } });
        await get().refreshLibrary();
        get().newConversation([document.id]);
      } catch (error) {
        get().notify('error', (error as Error).message);
      }
    },
    dismissImport: (name) => {
      locked.delete(name);
      set({ imports: get().imports.filter((j) => j.name !== name) });
    },
    async refreshLibrary() {
      set({ documents: await api.call('library.list', {}) });
    },
    async importFiles(dropped) {
      const { refused, files } = refuseOversized(dropped);
      set({ imports: [...get().imports.filter((j) => !dropped.some((f) => f.name === j.name)), ...refused, ...files.map((f) => ({ name: f.name, state: 'waiting' as const }))] });
      for (const file of files) await importOne(file);
      await get().refreshLibrary();
    },
    async unlockImport(name, password) {
      const file = locked.get(name);
      if (!file) return;
      await importOne(file, password);
      await get().refreshLibrary();
    },
    onImportProgress({ name, ...progress }) {
      if (get().imports.some((job) => job.name === name && job.state !== 'failed')) updateJob(name, { state: 'importing', progress });
    },
    async deleteDocument(id) {
      await api.call('library.delete', { id });
      await get().refreshLibrary();
    },
  };
};

// Files over their format's limit are refused by their size alone, before a byte is read or sent.
function refuseOversized<F extends { name: string; size: number }>(dropped: F[]): { refused: ImportJob[]; files: F[] } {
  const refused = dropped.flatMap((f) => {
    const reason = sizeRefusal(f.name, f.size);
    return reason ? [{ name: f.name, state: 'failed' as const, error: reason }] : [];
  });
  return { refused, files: dropped.filter((f) => !refused.some((r) => r.name === f.name)) };
}

export function visibleDocuments(documents: LibraryEntry[], filter: string): LibraryEntry[] {
  const needle = filter.trim().toLocaleLowerCase();
  return needle ? documents.filter((d) => d.title.toLocaleLowerCase().includes(needle)) : documents;
}
