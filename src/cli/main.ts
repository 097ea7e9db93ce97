/**
 * The `longwatch` command line. Each command lives in its own file and registers itself on the program; this file
 * only wires them up and turns outcomes into exit codes.
 */
import { Command, CommanderError } from "commander";
import { errorCode, exitCodeOf } from "../core/errors.ts";
import { EXIT } from "../core/exit-codes.ts";
import { commands } from "./commands.ts";
import { CliContext, type CliIO } from "./context.ts";
import { VERSION } from "./version.ts";

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const ctx = new CliContext(io);
  const program = new Command("longwatch")
    .description("Security monitoring for fleets of long-lived IoT devices.")
    .option("--data <dir>", "data folder: the embedded store, the secret key for password digests, rejects files", io.env.LONGWATCH_DATA ?? "./.longwatch")
    .option("--store <url>", "the store: sqlite:PATH or postgres://user@host:port/db[?schema=NAME] (default: LONGWATCH_STORE, else sqlite:<data>/longwatch.db)")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  for (const c of commands) c.register(program, ctx);
  // `--version` after a subcommand belongs to that subcommand (`certify --version 2.1.1` picks a standard's version);
  // commander would otherwise let the program's own --version option take it wherever it appears.
  const sub = argv.findIndex((a) => program.commands.some((c) => c.name() === a));
  if (!(sub >= 0 && argv.slice(sub + 1).some((a) => a === "--version" || a.startsWith("--version=")))) program.version(VERSION);
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return EXIT.ok;
      return EXIT.usage;
    }
    ctx.err(`longwatch: ${errorText(e)}`);
    if (errorCode(e) === "internal" && io.env.LONGWATCH_DEBUG && e instanceof Error && e.stack) ctx.err(e.stack);
    return exitCodeOf(e);
  }
  return ctx.exitCode;
}

const FILE_ERRORS: Record<string, string> = { ENOENT: "no such file", EACCES: "permission denied", EISDIR: "is a folder, not a file", ENOTDIR: "a part of the path is not a folder" };

/** One wording for a file that can't be read, whichever command met it: `PATH: no such file` (exit code 1). */
function errorText(e: unknown): string {
  const sys = e as { code?: unknown; path?: unknown } | null;
  if (typeof sys?.code === "string" && typeof sys.path === "string" && FILE_ERRORS[sys.code] !== undefined) return `${sys.path}: ${FILE_ERRORS[sys.code]}`;
  return e instanceof Error ? e.message : String(e);
}

function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}
