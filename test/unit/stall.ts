// How long another client waits while an attack runs: the slowest of its calls, made one after another while
// `attack` is under way (at least `calls` of them), beside the slowest of as many made just before, with no
// attack. A test compares the two, so this machine's own load (two shared cores) is not counted as the server's.
export async function stallDuring(call: () => Promise<unknown>, attack: () => Promise<unknown>, calls = 10): Promise<{ before: number; during: number }> {
  const timed = async () => {
    const started = performance.now();
    await call();
    return performance.now() - started;
  };
  let before = 0;
  for (let i = 0; i < calls; i++) before = Math.max(before, await timed());
  let running = true;
  const attacked = attack().finally(() => (running = false));
  let during = 0;
  for (let i = 0; running || i < calls; i++) during = Math.max(during, await timed());
  await attacked;
  return { before, during };
}
