import { useEffect, useState } from 'react';
import { SECRET_KEPT as KEPT } from '../components/format.ts';
import { useApp } from '../store/context.tsx';


// The access token gated repositories (Llama and its derivatives) need. Typed once, kept by the app, sent only
// to the hub; the page never gets it back, only whether one is saved.
export function HubToken() {
  const state = useApp((s) => s.hubToken);
  const load = useApp((s) => s.loadHubToken);
  const save = useApp((s) => s.saveHubToken);
  const [token, setToken] = useState('');
  useEffect(() => {
    void load();
  }, [load]);
  if (!state) return null;
  return (
    <form
      className="hub-token card"
      aria-labelledby="hub-token-title"
      onSubmit={(e) => {
        e.preventDefault();
        void save(token.trim()).then((saved) => saved && setToken(''));
      }}
    >
      <h3 id="hub-token-title" className="card-title">Hugging Face access token</h3>
      {state.saved ? (
        <div className="card-actions">
          <span data-testid="hub-token-state">A token is saved ({KEPT[state.protection]}) and sent to the hub with downloads.</span>
          <button type="button" className="button small" onClick={() => void save(null)}>Remove token</button>
        </div>
      ) : (
        <>
          <p className="card-text">
            Gated models ask you to accept their licence on huggingface.co and download with your access token (Settings → Access Tokens there; “Read” is enough). It
            will be kept {KEPT[state.protection]}.
          </p>
          <div className="card-actions">
            <input className="text-input" type="password" autoComplete="off" spellCheck={false} aria-label="Access token" placeholder="hf_…" value={token} onChange={(e) => setToken(e.target.value)} />
            <button type="submit" className="button" disabled={token.trim().length < 8}>Save token</button>
          </div>
        </>
      )}
    </form>
  );
}
