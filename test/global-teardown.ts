import { rmSync } from 'node:fs';

// vitest's global setup, for its teardown: removes the run's temp folder (vitest.config.ts) once every test is done.
export default function setup(): () => void {
  return () => {
    const dir = process.env.QUIRE_TEST_RUN_DIR;
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}
