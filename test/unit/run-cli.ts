import type { CliIo } from '../../electron/cli/command.ts';
import { main } from '../../electron/cli/main.ts';

// The CLI in-process, with its output captured: for tests of commands whose cost is the model, not the process.
export async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
