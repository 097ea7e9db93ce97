import type { Command } from "commander";
import type { CliContext } from "./context.ts";

/** A CLI command: registers its flags and action on the program. Keep actions thin: parse, call the library, render. */
export interface CommandModule {
  register(program: Command, ctx: CliContext): void;
}

/** The global options every command can read (set on the root program). */
export function globalOpts(cmd: Command): { data: string; store?: string } {
  let root = cmd;
  while (root.parent) root = root.parent;
  return root.opts<{ data: string; store?: string }>();
}

/** A kind of input for `longwatch import <kind>`: registers its subcommand on the `import` group. */
export interface ImportKind {
  register(group: Command, ctx: CliContext): void;
}
