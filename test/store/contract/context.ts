/**
 * The store contract suite (the Drizzle pattern): one set of tests every adapter runs. An adapter's test file
 * (test/store/sqlite.test.ts, postgres.test.ts) gives a `ContractTarget` — how to get the URL of a fresh, empty store —
 * and calls `storeContract`. Each area's tests live in their own file beside this one.
 */
import { after } from "node:test";
import { openStore } from "../../../src/store/open.ts";
import type { Store, StoreEnv } from "../../../src/store/store.ts";

export interface ContractTarget {
  name: string;
  /** The URL of a new, empty store (a file, a schema), cleaned up by the target. */
  freshUrl(): Promise<string>;
}

/** The clock every contract store runs on: a fixed instant, so what the store stamps can be asserted. */
export const CLOCK_MS = Date.parse("2026-11-25T12:00:00.000Z");

export interface ContractContext {
  target: ContractTarget;
  /** A fresh empty store (closed after the test file). */
  fresh(): Promise<Store>;
  /** Opens another connection to a store by URL (closed after the test file). */
  open(url: string): Promise<Store>;
}

export function contractContext(target: ContractTarget): ContractContext {
  const open = async (url: string) => {
    let n = 0;
    const env: Partial<StoreEnv> = { now: () => CLOCK_MS, newId: () => `id-${++n}` };
    const store = await openStore(url, { env });
    after(() => store.close());
    return store;
  };
  return { target, open, fresh: async () => open(await target.freshUrl()) };
}
