/**
 * Recognises the crypt(3) hash formats Longwatch can check against its default-password dictionary, so an import
 * rejects what it could never verify instead of storing it silently. The rules in audit/ parse hashes with the same
 * function, so whatever the import accepts, the credential rules can check. Reasons never repeat the value: a
 * plaintext password pasted into the hash column must not end up in a log.
 */
import { classifyHash, type HashScheme } from "../audit/credentials/crypt/index.ts";

export type CryptScheme = HashScheme;

export function classifyCryptHash(hash: string): { scheme: CryptScheme; locked?: false } | { locked: true } | { error: string } {
  return classifyHash(hash);
}
