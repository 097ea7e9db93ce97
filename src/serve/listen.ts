/** `HOST:PORT` (or `[IPv6]:PORT`) of a listening flag: serve's `--listen`, the worker's `--metrics-listen`. */
import { LongwatchError } from "../core/errors.ts";

/** Host and port of `HOST:PORT` (IPv6 in brackets). */
export function parseListen(text: string, flag = "--listen"): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65_535) throw new LongwatchError("usage", `${flag} ${text}: give HOST:PORT, e.g. 127.0.0.1:8080 (port 0: any free port)`, { field: flag.replace(/^--/, "") });
  return { host: m[1] ?? m[2]!, port };
}
