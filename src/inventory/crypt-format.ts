/**
 * Recognises the crypt(3) hash formats Longwatch can check against its default-password dictionary, so an import
 * rejects what it could never verify instead of storing it silently.
 */
export type CryptScheme = "md5crypt" | "sha256crypt" | "sha512crypt" | "bcrypt" | "des";

const B64 = "[./0-9A-Za-z]";
const FORMATS: [CryptScheme, RegExp][] = [
  ["md5crypt", new RegExp(`^\\$1\\$[^$:\\n]{0,8}\\$${B64}{22}$`)],
  ["sha256crypt", new RegExp(`^\\$5\\$(rounds=\\d+\\$)?[^$:\\n]{0,16}\\$${B64}{43}$`)],
  ["sha512crypt", new RegExp(`^\\$6\\$(rounds=\\d+\\$)?[^$:\\n]{0,16}\\$${B64}{86}$`)],
  ["bcrypt", new RegExp(`^\\$2[aby]\\$\\d\\d\\$${B64}{53}$`)],
  ["des", new RegExp(`^${B64}{13}$`)],
];

export function classifyCryptHash(hash: string): { scheme: CryptScheme; locked?: false } | { locked: true } | { error: string } {
  if (hash === "*" || hash === "!" || hash === "!!" || hash.startsWith("!") || hash.startsWith("*")) return { locked: true };
  for (const [scheme, re] of FORMATS) if (re.test(hash)) return { scheme };
  // The value is not echoed: a plaintext password pasted into the hash column must not end up in a log.
  return { error: "is not a supported password hash ($1$, $5$, $6$, $2a$/$2b$/$2y$ bcrypt, or 13-character DES crypt)" };
}
