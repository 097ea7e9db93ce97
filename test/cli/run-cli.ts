/** Runs the CLI in-process with captured output, as a user would from a shell. */
import { Writable } from "node:stream";
import { main } from "../../src/cli/main.ts";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

class Capture extends Writable {
  text = "";
  isTTY = false;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

export async function cli(args: string[], env: Record<string, string> = {}, cwd = process.cwd()): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(args, { stdout, stderr, env: { NO_COLOR: "1", ...env }, cwd });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
