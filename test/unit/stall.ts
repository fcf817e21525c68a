// How long another client waits while an attack runs: the slowest of its calls, made one after another while
// `attack` is under way (at least `calls` of them), beside the slowest of as many made just before, with no
// attack. A test compares the two, so this machine's own load (two shared cores) is not counted as the server's.
// Under a heavy load a single scheduling delay can pass any small margin, so the attack is made up to `attempts`
// times and the attempt with the smallest excess is answered: a real stall (seconds) shows in every attempt.
export async function stallDuring(call: () => Promise<unknown>, attack: () => Promise<unknown>, { calls = 10, attempts = 3, margin = 100 } = {}): Promise<{ before: number; during: number }> {
  const timed = async () => {
    const started = performance.now();
    await call();
    return performance.now() - started;
  };
  let best = { before: 0, during: Number.POSITIVE_INFINITY };
  for (let attempt = 0; attempt < attempts && best.during >= best.before + margin; attempt++) {
    let before = 0;
    for (let i = 0; i < calls; i++) before = Math.max(before, await timed());
    let running = true;
    const attacked = attack().finally(() => (running = false));
    let during = 0;
    for (let i = 0; running || i < calls; i++) during = Math.max(during, await timed());
    await attacked;
    if (during - before < best.during - best.before) best = { before, during };
  }
  return best;
}
