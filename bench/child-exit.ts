// How a bench's child process ends once it has written its result: after a quiet second on the event loop, and
// without running the rest of its module (the parent's code). Not process.exit() at once: Node 24's exit can
// deadlock joining a V8 compile thread that waits for a garbage collection the exiting main thread never runs
// (nodejs/node#54918; it hung a conversion child for 10 minutes, once in ~30 runs). An idle second lets such a job
// finish first, and nothing the child still holds (a native binding's handles) keeps it alive.
export function endChild(): Promise<never> {
  setTimeout(() => process.exit(0), 1000);
  return new Promise<never>(() => {});
}
