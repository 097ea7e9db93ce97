/**
 * Which store a command uses and opening it: `--store URL`, else LONGWATCH_STORE, else the SQLite file in the
 * `--data` folder (default ./.longwatch/longwatch.db). Commands never open an adapter themselves: they call
 * `withStore` (or `openCliStore`), which goes through `openStore(url)`.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { openStore } from "../store/open.ts";
import type { Store } from "../store/store.ts";
import { parseStoreUrl, resolveStoreUrl } from "../store/url.ts";
import { globalOpts } from "./command.ts";
import { type CliContext, UsageError } from "./context.ts";

export interface StoreChoice {
  /** The store's URL. */
  url: string;
  /** The data folder: the secret key, rejects files and other local state live here, whatever the store. */
  dataDir: string;
}

export function storeChoice(cmd: Command, ctx: CliContext): StoreChoice {
  const g = globalOpts(cmd);
  const dataDir = g.data === ":memory:" ? g.data : resolve(ctx.io.cwd, g.data);
  warnOpenDataFolder(ctx, dataDir);
  return { url: resolveStoreUrl({ store: g.store, env: ctx.io.env.LONGWATCH_STORE, dataDir }), dataDir };
}

/** Opens the chosen store; with `mustExist`, a missing SQLite file is a usage error that says what to run first. */
export async function openCliStore(ctx: CliContext, url: string, opts: { mustExist?: boolean } = {}): Promise<Store | undefined> {
  const u = parseStoreUrl(url, ctx.io.cwd);
  if (opts.mustExist && u.engine === "sqlite" && u.path !== ":memory:" && !existsSync(u.path)) return undefined;
  return openStore(url, { cwd: ctx.io.cwd });
}

/**
 * A warning when the data folder can be read or entered by others: it holds the key of the password digests, the
 * SQLite store with the digests and crypt hashes, and rejected input rows. Once per command.
 */
const warned = new WeakSet<CliContext>();
export function warnOpenDataFolder(ctx: CliContext, dataDir: string): void {
  if (dataDir === ":memory:" || warned.has(ctx)) return;
  let mode: number;
  try {
    mode = statSync(dataDir).mode & 0o777;
  } catch {
    return; // not made yet: it will be made 0700
  }
  if ((mode & 0o077) === 0) return;
  warned.add(ctx);
  ctx.err(`${ctx.colors("stderr").yellow("warning")} the data folder ${dataDir} is open to other users (mode ${mode.toString(8).padStart(4, "0")}); it holds the key of the password digests and the store: chmod 700 ${dataDir}`);
}

export async function withStore<T>(cmd: Command, ctx: CliContext, fn: (store: Store, choice: StoreChoice) => Promise<T>): Promise<T> {
  const choice = storeChoice(cmd, ctx);
  const store = (await openCliStore(ctx, choice.url))!;
  try {
    return await fn(store, choice);
  } finally {
    await store.close();
  }
}

/** For commands that only read: no store yet is a usage error that says what to run first. */
export async function withExistingStore<T>(cmd: Command, ctx: CliContext, fn: (store: Store, choice: StoreChoice) => Promise<T>): Promise<T> {
  const choice = storeChoice(cmd, ctx);
  const store = await openCliStore(ctx, choice.url, { mustExist: true });
  if (!store) throw new UsageError(`no Longwatch store at ${choice.url}: import an inventory and run \`longwatch scan\` first (or pass --store / --data)`);
  try {
    return await fn(store, choice);
  } finally {
    await store.close();
  }
}
