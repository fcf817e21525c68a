import type { AppStore } from './app-store.ts';

// The question in the box outlives the page: a reload, or the new link of a restarted `quire serve` opened in the
// same tab, finds it there again, still marked not sent where Quire never received it (docs/data.md). Kept in the
// tab's session storage, which the browser drops with the tab.
const KEY = 'quire.draft';

export function keepDraft(store: AppStore, storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>): () => void {
  const kept = read(storage);
  if (kept && !store.getState().draftQuestion) store.setState({ draftQuestion: kept.question, draftNotSent: kept.notSent });
  return store.subscribe((state, previous) => {
    if (state.draftQuestion === previous.draftQuestion && state.draftNotSent === previous.draftNotSent) return;
    try {
      if (state.draftQuestion) storage.setItem(KEY, JSON.stringify({ question: state.draftQuestion, notSent: state.draftNotSent }));
      else storage.removeItem(KEY);
    } catch {
      // Storage full or refused (a private window): the draft lives as long as the page, as before.
    }
  });
}

function read(storage: Pick<Storage, 'getItem'>): { question: string; notSent: boolean } | null {
  try {
    const value = JSON.parse(storage.getItem(KEY) ?? 'null') as unknown;
    if (value && typeof value === 'object' && typeof (value as { question?: unknown }).question === 'string') {
      const { question, notSent } = value as { question: string; notSent?: unknown };
      return question ? { question, notSent: notSent === true } : null;
    }
  } catch {
    // Not ours, or damaged: nothing to restore.
  }
  return null;
}
