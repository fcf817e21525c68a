// The folder name (and id) a model installed from a Hugging Face repository gets; the UI computes it to
// follow the install's progress events, the installer to name the folder.
export function modelIdForRepo(repo: string): string {
  return repo.trim().replace('/', '--').toLowerCase();
}
