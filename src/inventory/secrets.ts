/**
 * Plaintext passwords never reach the store. On import each one becomes a keyed digest: HMAC-SHA-256 under a random
 * 32-byte key kept in `<data>/secret.key` (mode 0600, created on first use). Equal passwords give equal digests, so
 * shared and default passwords can still be found (the dictionary is digested with the same key at scan time),
 * while the store alone reveals nothing. Keep the key file out of backups that leave your control; losing it only
 * means plaintext credentials must be imported again.
 */
import { createHmac, randomBytes } from "node:crypto";
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const KEYED_PREFIX = "lwk1$";

export type KeyedDigest = (password: string) => string;

export function keyedDigester(key: Buffer): KeyedDigest {
  return (password) => KEYED_PREFIX + createHmac("sha256", key).update(password, "utf8").digest("base64url");
}

/** Loads the store's secret key, creating it when the data folder has none (or always a fresh one for `:memory:`). */
export function loadSecretKey(dataDir: string): Buffer {
  if (dataDir === ":memory:") return randomBytes(32);
  const file = join(dataDir, "secret.key");
  if (!existsSync(file)) createKeyFile(dataDir, file);
  chmodSync(file, 0o600);
  const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
  if (key.length !== 32) throw new Error(`${file} is not a Longwatch secret key (expected 32 bytes, base64)`);
  return key;
}

/**
 * Writes a new key where another process may be doing the same at this moment (two commands started together on a
 * new data folder): the key is written whole to a file of this process and then linked into place, which fails if a
 * key is already there — so every process ends up reading the one key that won, never a half-written file.
 */
function createKeyFile(dataDir: string, file: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const mine = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(mine, randomBytes(32).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  try {
    linkSync(mine, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    unlinkSync(mine);
  }
}
