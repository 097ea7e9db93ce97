/**
 * What the credential rules need to know about a stored secret without ever seeing a password: parsed crypt hashes
 * (parsed once per distinct hash string) and the keyed digests that mean "no password".
 */
import type { Credential } from "../../core/fleet.ts";
import { EMPTY_PASSWORD_TOKENS } from "../../core/fleet.ts";
import { type ParsedHash, parseHash } from "./crypt/index.ts";

/** Parses crypt hashes once per scan; unusable ones (the importer should have refused them) come back undefined. */
export class HashCache {
  private readonly parsed = new Map<string, ParsedHash | undefined>();

  get(hash: string): ParsedHash | undefined {
    if (this.parsed.has(hash)) return this.parsed.get(hash);
    const p = parseHash(hash);
    const value = "verify" in p ? p : undefined;
    this.parsed.set(hash, value);
    return value;
  }
}

/**
 * Keyed digests that stand for an account without a password. The importer digests the password cell as given, so
 * besides "" we also accept the digest of the `<empty>`/`<blank>` tokens themselves, whichever way a file wrote it.
 */
export function emptyDigests(keyedDigest: (password: string) => string): Set<string> {
  return new Set(["", ...EMPTY_PASSWORD_TOKENS].map(keyedDigest));
}

/** The key under which equal secrets group: the stored digest or hash (never a password); undefined for locked accounts. */
export function secretKey(c: Credential): string | undefined {
  if (c.secret.kind === "keyed") return `k${c.secret.digest}`;
  if (c.secret.kind === "crypt") return `c${c.secret.hash}`;
  return undefined;
}
