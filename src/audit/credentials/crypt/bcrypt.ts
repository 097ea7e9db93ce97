/**
 * bcrypt (`$2a$`, `$2b$`, `$2y$`): verification is delegated to bcryptjs, a widely used pure-JavaScript
 * implementation; this module only checks the format first, so garbage never reaches it. `$2a$`, `$2b$` and `$2y$`
 * hash the same for passwords under 256 bytes (they differ only in historic length-wrap bugs). The legacy `$2$` and the
 * buggy-era `$2x$` are refused.
 */
import bcryptjs from "bcryptjs";
import { isCryptBase64 } from "./b64.ts";

export interface BcryptHash {
  variant: "2a" | "2b" | "2y";
  cost: number;
  hash: string;
}

export const MIN_BCRYPT_COST = 4;
export const MAX_BCRYPT_COST = 31;

export function parseBcrypt(hash: string): BcryptHash | { error: string } {
  const m = /^\$(2[abxy]?)\$/.exec(hash);
  if (!m) return { error: "does not start with $2a$, $2b$ or $2y$" };
  const variant = m[1]!;
  if (variant !== "2a" && variant !== "2b" && variant !== "2y") return { error: `is a bcrypt hash of the legacy $${variant}$ variant; only $2a$, $2b$ and $2y$ are supported` };
  const rest = hash.slice(4);
  const cost = /^(\d\d)\$/.exec(rest);
  if (!cost || Number(cost[1]) < MIN_BCRYPT_COST || Number(cost[1]) > MAX_BCRYPT_COST) {
    return { error: `is a bcrypt hash whose cost is not two digits from 04 to ${MAX_BCRYPT_COST}` };
  }
  const body = rest.slice(3);
  if (body.length !== 53 || !isCryptBase64(body)) return { error: "is a bcrypt hash whose salt and hash are not 53 characters of ./A-Za-z0-9" };
  return { variant, cost: Number(cost[1]), hash };
}

export function verifyBcrypt(password: string, h: BcryptHash): boolean {
  // Like every crypt(3) implementation, bcrypt reads a C string: nothing after a NUL takes part.
  const nul = password.indexOf("\0");
  try {
    return bcryptjs.compareSync(nul < 0 ? password : password.slice(0, nul), h.hash);
  } catch {
    // bcryptjs throws on inputs it cannot decode; a hash we cannot check is not a match.
    return false;
  }
}
