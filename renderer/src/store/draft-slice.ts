import type { FitPlan, RemoteChoice } from '../../../electron/common/contract.ts';
import type { SliceCreator } from './app-store.ts';

// A conversation before its first question: the documents chosen, whether they fit, the engine, the question.
export interface DraftSlice {
  draftDocumentIds: string[];
  // The question being typed in the composer.
  draftQuestion: string;
  setDraftQuestion(question: string): void;
  // The question in the box is one Quire never received (the connection died first): it was not sent.
  draftNotSent: boolean;
  fit: FitPlan | null;
  fitError: string | null;
  // The engine a new conversation will be created on: null for the local model.
  draftEngine: RemoteChoice | null;
  // The remote engines and the models each serves, for the engine picker (engines-slice holds them).
  loadRemoteModels(): Promise<void>;
  setDraftEngine(engine: RemoteChoice | null): void;
  newConversation(documentIds?: string[]): void;
  toggleDraftDocument(id: string): void;
  checkFit(): Promise<void>;
}

export const createDraftSlice: SliceCreator<DraftSlice> = (set, get, api) => ({
  draftDocumentIds: [],
  draftQuestion: '',
  setDraftQuestion: (draftQuestion) => set({ draftQuestion, ...(draftQuestion ? {} : { draftNotSent: false }) }),
  draftNotSent: false,
  fit: null,
  fitError: null,
  draftEngine: null,
  async loadRemoteModels() {
    await get().loadEngines();
    await Promise.all(get().engines.map((e) => get().testEngine(e.id)));
    // A chosen engine that is gone (removed, or no longer serving the model) falls back to the local model.
    const draft = get().draftEngine;
    if (draft && !get().engineChecks[draft.engineId]?.models?.some((m) => m.id === draft.model)) get().setDraftEngine(null);
  },
  setDraftEngine(draftEngine) {
    set({ draftEngine, fit: null, fitError: null });
    void get().checkFit();
  },
  newConversation(documentIds = []) {
    set({ conversation: null, draftDocumentIds: documentIds, fit: null, fitError: null, view: 'chat' });
    if (documentIds.length > 0) void get().checkFit();
  },
  toggleDraftDocument(id) {
    const ids = get().draftDocumentIds;
    set({ draftDocumentIds: ids.includes(id) ? ids.filter((d) => d !== id) : [...ids, id], fit: null, fitError: null });
    void get().checkFit();
  },
  async checkFit() {
    const ids = get().draftDocumentIds;
    const engine = get().draftEngine;
    if (ids.length === 0 || (!engine && get().installed.length === 0)) return;
    try {
      const fit = await api.call('chat.fit', { documentIds: ids, engine });
      // Only the answer for what is chosen now: the user may have changed documents or engine meanwhile.
      if (get().draftDocumentIds.join() === ids.join() && get().draftEngine === engine) set({ fit, fitError: null });
    } catch (error) {
      set({ fitError: (error as Error).message });
    }
  },
});
