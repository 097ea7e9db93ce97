/** Opening the store for a command: the `--data` folder of the root program; closed when the action ends. */
import type { Command } from "commander";
import { openSqliteStore, type SqliteStore } from "../store/sqlite/index.ts";
import { globalOpts } from "./command.ts";

export async function withStore<T>(cmd: Command, fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = openSqliteStore(globalOpts(cmd).data);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
