/**
 * Keeps transactions honest for every adapter. Each transaction runs its function in an async context that knows
 * it; a call on the outer store from inside that context is refused (it would run outside the transaction, or wait
 * for it forever), and a transaction's repositories refuse calls once it has ended.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { LongwatchError } from "../core/errors.ts";
import type { Repositories, StoreTx } from "./store.ts";

export interface TxScope {
  owner: object;
  active: boolean;
}

const scopes = new AsyncLocalStorage<TxScope[]>();

/** Runs `fn` in the async context of a transaction of `owner` (a store). */
export function runInScope<T>(scope: TxScope, fn: () => Promise<T>): Promise<T> {
  return scopes.run([...(scopes.getStore() ?? []), scope], fn);
}

/** Throws when called from inside an active transaction of `owner`. */
export function assertOutside(owner: object, what: string): void {
  const open = scopes.getStore();
  if (open?.some((s) => s.owner === owner && s.active)) {
    throw new LongwatchError("internal", `${what} was called on the store inside store.transaction(): use the transaction passed to the function`);
  }
}

/**
 * Wraps every method of a repository. `around(call)` decides how a call runs (wait for a lock, check a
 * transaction is still open). Async generator methods (pages) are wrapped per page, since their work happens there.
 */
export function guardRepository<T extends object>(repo: T, name: string, around: <R>(what: string, call: () => Promise<R>) => Promise<R>): T {
  const cache = new Map<PropertyKey, unknown>();
  return new Proxy(repo, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      let wrapped = cache.get(prop);
      if (wrapped) return wrapped;
      const fn = value as (...args: unknown[]) => unknown;
      const what = `${name}.${String(prop)}`;
      wrapped = Object.prototype.toString.call(fn) === "[object AsyncGeneratorFunction]"
        ? (...args: unknown[]) => pages(() => fn.apply(target, args) as AsyncIterator<unknown>, what, around)
        : (...args: unknown[]) => around(what, () => fn.apply(target, args) as Promise<unknown>);
      cache.set(prop, wrapped);
      return wrapped;
    },
  });
}

function pages<P>(start: () => AsyncIterator<P>, what: string, around: <R>(what: string, call: () => Promise<R>) => Promise<R>): AsyncIterable<P> {
  return {
    [Symbol.asyncIterator]() {
      let it: AsyncIterator<P> | undefined;
      return {
        next: () => around(what, () => (it ??= start()).next()),
        return: async (v?: unknown) => (it?.return ? around(what, () => it!.return!(v)) : { done: true as const, value: v as P }),
      };
    },
  };
}

/** A first-come, first-served lock for one connection (SQLite's single writer). */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const before = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await before;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** A snapshot's repositories as a transaction object that opens no transactions (Store.snapshot). */
export function snapshotView(repos: Repositories): StoreTx {
  return {
    ...repos,
    inTransaction: true,
    transaction: () => Promise.reject(new LongwatchError("internal", "a snapshot of the store is read-only: it runs no transaction")),
  };
}
