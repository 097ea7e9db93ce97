/**
 * What every command gets: output streams, colours, the clock, the data folder and a way to set the exit code.
 * Commands run in-process, so tests call `main()` with their own streams and read what was written.
 */
import type { Readable, Writable } from "node:stream";
import { createColors } from "picocolors";
import { parseIsoDate } from "../core/dates.ts";
import type { Colors } from "../report/colors.ts";
import { LongwatchError } from "../core/errors.ts";
import { EXIT, type ExitCode } from "../core/exit-codes.ts";

export interface CliIO {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  /** Where secrets typed or piped in are read from (`account create` reads a password here, never from argv). */
  stdin?: Readable & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  env: Record<string, string | undefined>;
  cwd: string;
}

export class CliContext {
  exitCode: ExitCode = EXIT.ok;
  constructor(readonly io: CliIO) {}

  /** Colours only for a terminal, never when NO_COLOR is set (https://no-color.org), always with FORCE_COLOR. */
  colors(stream: "stdout" | "stderr" = "stdout"): Colors {
    const env = this.io.env;
    const on = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0" ? true : env.NO_COLOR !== undefined && env.NO_COLOR !== "" ? false : this.io[stream].isTTY === true && env.TERM !== "dumb";
    return createColors(on);
  }

  /** The scan clock: `--now` or LONGWATCH_NOW when given (reproducible reports), the real time otherwise. */
  now(flag?: string): number {
    const given = flag ?? this.io.env.LONGWATCH_NOW;
    if (given === undefined) return Date.now();
    const ms = parseIsoDate(given);
    if (ms === undefined) throw new UsageError(`--now: "${given}" is not an ISO 8601 date`);
    return ms;
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  err(text: string): void {
    this.io.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** Raises the exit code; a more serious outcome is never overwritten by a milder one. */
  exit(code: ExitCode): void {
    const order: ExitCode[] = [EXIT.ok, EXIT.threshold, EXIT.rejected, EXIT.usage, EXIT.error];
    if (order.indexOf(code) > order.indexOf(this.exitCode)) this.exitCode = code;
  }
}

/** Bad flags or arguments: exit code 2 with the message. */
export class UsageError extends LongwatchError {
  constructor(message: string, detail?: Readonly<Record<string, unknown>>) {
    super("usage", message, detail);
  }
}
