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
 *
 * Digests are computed late: a message not marked DUP is only copied (topic, NUL, payload: the bytes its digest is
 * of) into one of two arenas, and hashed when something reads the window — a DUP to look up, a checkpoint to save —
 * or when the other arena is needed again while it still holds messages in the window. At MQTT rates above the
 * window per checkpoint interval most messages leave the window before anything reads it and are never hashed:
 * SHA-256 of every message (~1.1–1.5 µs of a one-record message) is then skipped for most. The bytes are copied,
 * not referred to, so no payload is kept alive (each would survive young-generation collections). What the window
 * holds, what it answers and what a checkpoint saves are exactly as if each message were hashed when taken.
 */
import { createHash, hash } from "node:crypto";

const SCRATCH = Buffer.allocUnsafe(64 * 1024);
/** Bytes kept per digest (the 17th masked to its high 4 bits). */
const W = 17;
/** Bytes of each of the two arenas: 512 a message of the window, within these bounds (a larger message is hashed at once). */
const ARENA_MIN = 64 * 1024;
const ARENA_MAX = 8 * 2 ** 20;

export class RecentDigests {
  private readonly ring: Uint8Array;
  /** Index slot → ring position + 1 (0: empty). */
  private readonly index: Int32Array;
  private readonly mask: number;
  private next = 0;
  private filled = 0;
  private readonly probe = new Uint8Array(W);
  /**
   * Messages taken and not hashed yet, oldest first: a ring of at most `size` entries (with `size` newer ones taken,
   * an older one has left the window and is dropped unhashed), each its arena, offset and length there.
   */
  private readonly pendingArena: Uint8Array;
  private readonly pendingAt: Int32Array;
  private readonly pendingLen: Int32Array;
  private pendingFirst = 0;
  private pendingCount = 0;
  /** Allocated when first needed; `arena` is the one written, at `arenaUsed`. */
  private readonly arenas: (Buffer | undefined)[] = [undefined, undefined];
  private readonly arenaBytes: number;
  private arena = 0;
  private arenaUsed = 0;
  /** Digests computed so far (the cost `settle` saves is the messages that never needed one). */
  hashed = 0;

  constructor(private readonly size: number) {
    this.size = Math.max(0, size);
    this.pendingArena = new Uint8Array(this.size);
    this.pendingAt = new Int32Array(this.size);
    this.pendingLen = new Int32Array(this.size);
    this.arenaBytes = Math.min(ARENA_MAX, Math.max(ARENA_MIN, this.size * 512));
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
    if (!redelivered) {
      this.defer(topic, payload);
      return false;
    }
    this.settle();
    if (this.find(this.digestOf(topic, payload)) >= 0) return true;
    this.addBytes(this.probe);
    return false;
  }

  /** The kept bytes of a message's digest, in `probe`. */
  private digestOf(topic: string, payload: Uint8Array): Uint8Array {
    this.hashed++;
    const d = RecentDigests.digestBytes(topic, payload, this.probe);
    d[16]! &= 0xf0;
    return d;
  }

  /** Copies a message's digested bytes to hash later (settle), in the order taken. */
  private defer(topic: string, payload: Uint8Array): void {
    if (this.size === 0) return;
    const most = topic.length * 3 + 1 + payload.byteLength;
    if (most > this.arenaBytes) {
      this.settle();
      this.addBytes(this.digestOf(topic, payload));
      return;
    }
    if (this.arenaUsed + most > this.arenaBytes) {
      // The other arena again: what is still pending in it is the oldest of all, and is hashed before it is written over.
      this.arena ^= 1;
      this.arenaUsed = 0;
      while (this.pendingCount > 0 && this.pendingArena[this.pendingFirst] === this.arena) this.settleOne();
    }
    if (this.pendingCount === this.size) this.dropPending();
    const buf = (this.arenas[this.arena] ??= Buffer.allocUnsafe(this.arenaBytes));
    const at = this.arenaUsed;
    let n = topic.length;
    // ASCII topics byte by byte (a native write per message costs more); anything else as Buffer.write writes it.
    for (let i = 0; i < n; i++) {
      const c = topic.charCodeAt(i);
      if (c >= 0x80) {
        n = buf.write(topic, at);
        break;
      }
      buf[at + i] = c;
    }
    buf[at + n] = 0;
    buf.set(payload, at + n + 1);
    const k = (this.pendingFirst + this.pendingCount++) % this.size;
    this.pendingArena[k] = this.arena;
    this.pendingAt[k] = at;
    this.pendingLen[k] = n + 1 + payload.byteLength;
    this.arenaUsed = at + n + 1 + payload.byteLength;
  }

  /** Forgets the oldest pending message (hashed, or evicted by `size` newer ones). */
  private dropPending(): void {
    this.pendingFirst = (this.pendingFirst + 1) % this.size;
    this.pendingCount--;
  }

  /** Hashes the oldest pending message into the window. */
  private settleOne(): void {
    const k = this.pendingFirst;
    const at = this.pendingAt[k]!;
    this.hashed++;
    const h = hash("sha256", this.arenas[this.pendingArena[k]!]!.subarray(at, at + this.pendingLen[k]!), "binary");
    const d = this.probe;
    for (let i = 0; i < W; i++) d[i] = h.charCodeAt(i);
    d[16]! &= 0xf0;
    this.addBytes(d);
    this.dropPending();
  }

  /**
   * Hashes the pending messages into the window, oldest first: as if each had been hashed when it was taken. The
   * pipeline calls it when its writer has nothing queued, so a checkpoint's snapshot finds little to hash unless
   * messages came without a pause (where skipping the hashes pays).
   */
  settle(): void {
    while (this.pendingCount > 0) this.settleOne();
  }

  /** Keeps a digest as a checkpoint saved it (22 base64 characters). */
  private add(d: string): void {
    this.addBytes(this.bytesOf(d));
  }

  /** Oldest first, for a checkpoint. */
  toJSON(): string[] {
    this.settle();
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
    this.settle();
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
