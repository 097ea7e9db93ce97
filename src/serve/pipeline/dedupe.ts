/**
 * Drops MQTT redeliveries of messages already taken in. A QoS 1 message is journaled, then acknowledged; if the
 * process dies in between (or the connection drops), the broker sends it again marked DUP. Every message's digest
 * (topic and payload) is kept for the latest `size` messages — saved with each checkpoint, rebuilt from the journal
 * on restart — and a DUP message whose digest is there is acknowledged without being processed again. A message
 * without DUP is never dropped: identical payloads sent twice by a device are its business.
 *
 * The digests are kept as bytes, not strings: a ring of the latest `size` and an open-addressing index over it
 * (linear probing, deletion by backward shift). A Map of base64 strings cost a string and four Map operations per
 * message, more than hashing the message. What is compared is what the 22 base64 characters a checkpoint saves
 * hold — 132 bits: 16 bytes and the high half of the 17th — so a digest loaded from a checkpoint (strings) and one
 * computed now (bytes) are equal exactly when their strings are.
 */
import { createHash, hash } from "node:crypto";

const SCRATCH = Buffer.allocUnsafe(64 * 1024);
/** Bytes kept per digest (the 17th masked to its high 4 bits). */
const W = 17;

export class RecentDigests {
  private readonly ring: Uint8Array;
  /** Index slot → ring position + 1 (0: empty). */
  private readonly index: Int32Array;
  private readonly mask: number;
  private next = 0;
  private filled = 0;
  private readonly probe = new Uint8Array(W);

  constructor(private readonly size: number) {
    this.size = Math.max(0, size);
    this.ring = new Uint8Array(this.size * W);
    let cap = 2;
    while (cap < this.size * 2) cap *= 2;
    this.index = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /**
   * The first W bytes of SHA-256 of topic, NUL, payload into `out` (a checkpoint saves them as 22 base64 characters).
   * Every MQTT message is digested: one `crypto.hash` over the bytes copied into a scratch buffer costs about 60 % of
   * a `createHash` object per message; the same bytes, so the same digest as checkpoints saved before.
   * `crypto.hash` answers a "binary" (latin1) string fastest (a Buffer: twice the time).
   */
  private static digestBytes(topic: string, payload: Uint8Array, out: Uint8Array): Uint8Array {
    if (topic.length * 3 + 1 + payload.byteLength > SCRATCH.length) {
      out.set(createHash("sha256").update(topic).update("\0").update(payload).digest().subarray(0, W));
      return out;
    }
    const n = SCRATCH.write(topic, 0);
    SCRATCH[n] = 0;
    SCRATCH.set(payload, n + 1);
    const h = hash("sha256", SCRATCH.subarray(0, n + 1 + payload.byteLength), "binary");
    for (let k = 0; k < W; k++) out[k] = h.charCodeAt(k);
    return out;
  }

  /**
   * A message taken in: true when it is a redelivery (`redelivered`, the broker's DUP) of one whose digest is kept —
   * drop it; otherwise its digest is kept and false.
   */
  taken(topic: string, payload: Uint8Array, redelivered: boolean): boolean {
    const d = RecentDigests.digestBytes(topic, payload, this.probe);
    d[16]! &= 0xf0;
    if (redelivered && this.find(d) >= 0) return true;
    this.addBytes(d);
    return false;
  }

  /** Keeps a digest as a checkpoint saved it (22 base64 characters). */
  private add(d: string): void {
    this.addBytes(this.bytesOf(d));
  }

  /** Oldest first, for a checkpoint. */
  toJSON(): string[] {
    const out: string[] = [];
    const ring = Buffer.from(this.ring.buffer, this.ring.byteOffset, this.ring.byteLength);
    const first = this.filled < this.size ? 0 : this.next;
    for (let i = 0; i < this.filled; i++) {
      const at = ((first + i) % this.size) * W;
      out.push(ring.toString("base64", at, at + W).slice(0, 22));
    }
    return out;
  }

  load(list: readonly string[]): void {
    for (const d of list.slice(-this.size)) this.add(d);
  }

  /** A digest's 22 characters as the bytes they hold (the 17th's low half zero, as `taken` masks it). */
  private bytesOf(d: string): Uint8Array {
    const b = Buffer.from(`${d.slice(0, 22)}AA`, "base64");
    const p = this.probe;
    p.fill(0);
    p.set(b.subarray(0, W));
    p[16]! &= 0xf0;
    return p;
  }

  private slotOf(b: Uint8Array, at: number): number {
    return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) & this.mask;
  }

  /** The index slot of a kept digest equal to d, or -1. */
  private find(d: Uint8Array): number {
    if (this.size === 0) return -1;
    const ring = this.ring;
    for (let s = this.slotOf(d, 0); ; s = (s + 1) & this.mask) {
      const v = this.index[s]!;
      if (v === 0) return -1;
      const at = (v - 1) * W;
      let k = 0;
      while (k < W && ring[at + k] === d[k]) k++;
      if (k === W) return s;
    }
  }

  private addBytes(d: Uint8Array): void {
    if (this.size === 0) return;
    const pos = this.next;
    if (this.filled === this.size) this.unindex(pos);
    else this.filled++;
    const ring = this.ring;
    for (let k = 0, at = pos * W; k < W; k++) ring[at + k] = d[k]!;
    let s = this.slotOf(this.ring, pos * W);
    while (this.index[s] !== 0) s = (s + 1) & this.mask;
    this.index[s] = pos + 1;
    this.next = (pos + 1) % this.size;
  }

  /** Takes ring position `pos` out of the index, moving later entries of its probe run back (no tombstones). */
  private unindex(pos: number): void {
    const index = this.index;
    const mask = this.mask;
    let i = this.slotOf(this.ring, pos * W);
    while (index[i] !== pos + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = this.slotOf(this.ring, (index[j]! - 1) * W);
      // Entry j may fill the hole at i when its home is not in the cyclic range (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        index[i] = index[j]!;
        i = j;
      }
    }
    index[i] = 0;
  }
}
