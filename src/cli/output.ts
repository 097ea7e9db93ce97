/**
 * Writing output where the user asked, and failing well when that place cannot take it: a reader that went away
 * (`longwatch findings --format ndjson | head -1`) ends the command quietly, as `head` expects, and a full disk is a
 * message that names the file instead of a stack trace (issue 18.5).
 */
import { readlinkSync, writeFileSync } from "node:fs";
import { LongwatchError } from "../core/errors.ts";

const REASONS: Record<string, string> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is used up",
  EFBIG: "the file is too large for the file system",
  EIO: "an I/O error",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a folder",
  ENOENT: "its folder does not exist",
  ENOTDIR: "its folder does not exist",
};

/** A write error as a LongwatchError naming the target; anything that is not a write error is returned unchanged. */
export function outputError(e: unknown, target: string): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !(code in REASONS)) return e;
  const full = code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG";
  return new LongwatchError(full ? "resources_exhausted" : "file_not_found", `cannot write ${target}: ${REASONS[code]}`, { file: target, cause: code }, { cause: e });
}

/** writeFileSync with an error that names the file. */
export function writeOutputFile(path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    throw outputError(e, path);
  }
}

/** What standard output is connected to, for messages: the file it was redirected to, when the system says. */
export function stdoutTarget(fd = 1): string {
  try {
    const p = readlinkSync(`/proc/self/fd/${fd}`);
    if (p.startsWith("/")) return p;
  } catch {
    // Not Linux, or no /proc: fall through.
  }
  return fd === 1 ? "standard output" : "standard error";
}

/**
 * For the process entry: errors of the process's own stdout and stderr. EPIPE (the reader closed the pipe) ends the
 * process at once and quietly, with the exit code so far; any other write error is one line on stderr and exit 1.
 */
export function guardStdio(proc: NodeJS.Process = process): void {
  const onError = (fd: 1 | 2) => (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") proc.exit(typeof proc.exitCode === "number" ? proc.exitCode : 0);
    const err = outputError(e, stdoutTarget(fd));
    if (fd === 1) {
      try {
        proc.stderr.write(`longwatch: ${err instanceof Error ? err.message : String(err)}\n`);
      } catch {
        // stderr is gone too: nothing left to tell.
      }
    }
    proc.exit(1);
  };
  proc.stdout.on("error", onError(1));
  proc.stderr.on("error", onError(2));
}
