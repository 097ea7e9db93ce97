/**
 * Reads the dynamic-security plugin's saved configuration, when the config names it and this machine can read it:
 * the strongest proof that a change survives a broker restart.
 */
import { readFileSync } from "node:fs";

export interface SavedClient {
  roles: string[];
  disabled: boolean;
}

/** The client as saved, `null` when it is not in the file, `undefined` when the file cannot be read. */
export function savedClient(file: string | undefined, username: string): SavedClient | null | undefined {
  if (file === undefined) return undefined;
  let doc: { clients?: { username?: string; roles?: { rolename: string }[]; disabled?: boolean }[] };
  try {
    doc = JSON.parse(readFileSync(file, "utf8")) as typeof doc;
  } catch {
    return undefined;
  }
  const c = doc.clients?.find((x) => x.username === username);
  return c ? { roles: (c.roles ?? []).map((r) => r.rolename).sort(), disabled: c.disabled === true } : null;
}
