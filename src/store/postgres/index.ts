/** The PostgreSQL adapter (milestone 2 of issue 11): not written yet, so opening a postgres:// store says so. */
import { LongwatchError } from "../../core/errors.ts";
import type { Store, StoreEnv } from "../store.ts";
import type { StoreUrl } from "../url.ts";

export async function openPostgresStore(url: Extract<StoreUrl, { engine: "postgres" }>, _env: StoreEnv): Promise<Store> {
  throw new LongwatchError("store_unavailable", `PostgreSQL stores (${url.location}) are not supported by this build yet`);
}
