// The folder name (and id) a model installed from a Hugging Face repository gets; the UI computes it to
// follow the install's progress events, the installer to name the folder.
export function modelIdForRepo(repo: string): string {
  return repo.trim().replace('/', '--').toLowerCase();
}

// A model installed from a folder on this computer is named for the folder (its last path segment, in the
// characters an id may have).
export function modelIdForFolder(folder: string): string {
  const name = folder.trim().replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '';
  return name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 200);
}

// A model's id is the name of its folder under models/, and clients send it back (models.remove,
// models.cancelInstall): it must be one plain path segment, so that no id can name a folder elsewhere
// (`../../x`, an absolute path, a Windows `..\`) or a hidden staging folder (`.x.partial`).
const MODEL_ID = /^[a-z0-9][a-z0-9._-]{0,199}$/i;

export function isModelId(id: string): boolean {
  return MODEL_ID.test(id) && !id.includes('..');
}
