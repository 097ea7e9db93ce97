/**
 * Which partition a device's records go to: FNV-1a (32-bit) of the device key's UTF-8 bytes, mod the partition
 * count — the hash nats-server's `partition(n, …)` subject mapping uses (server/accounts.go, getHashPartition: the
 * mapped tokens concatenated, `fnv.New32a`, `% n`), so a broker-side mapping could take over from the publisher on a
 * server that has one for streams. Checked against a real nats-server's mapping in test/scale/partition.test.ts.
 */

const OFFSET = 0x811c9dc5;
const PRIME = 0x01000193;
const encoder = new TextEncoder();

/** FNV-1a 32 of bytes [s, e), as an unsigned 32-bit number. */
export function fnv1a32(b: Uint8Array, s = 0, e = b.length): number {
  let h = OFFSET;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, PRIME);
  return h >>> 0;
}

export function fnv1a32String(key: string): number {
  return fnv1a32(encoder.encode(key));
}

/** The partition of a device key (its inventory device_id, or the identifier that names it). */
export function partitionOf(key: string, partitions: number): number {
  return fnv1a32String(key) % partitions;
}

/** The subject a partition's records are published on, e.g. `lw.records.3`. */
export function partitionSubject(prefix: string, p: number): string {
  return `${prefix}.${p}`;
}

export const DEFAULT_STREAM = "LONGWATCH_RECORDS";
export const DEFAULT_SUBJECT_PREFIX = "lw.records";
export const DEFAULT_PARTITIONS = 16;
