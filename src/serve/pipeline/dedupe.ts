/**
 * Drops MQTT redeliveries of messages already taken in. A QoS 1 message is journaled, then acknowledged; if the
 * process dies in between (or the connection drops), the broker sends it again marked DUP. Every message's digest
 * (topic and payload) is kept for the latest `size` messages — saved with each checkpoint, rebuilt from the journal
 * on restart — and a DUP message whose digest is there is acknowledged without being processed again. A message
 * without DUP is never dropped: identical payloads sent twice by a device are its business.
 */
import { createHash, hash } from "node:crypto";

const SCRATCH = Buffer.allocUnsafe(64 * 1024);

export class RecentDigests {
  private readonly ring: (string | undefined)[];
  private readonly count = new Map<string, number>();
  private next = 0;

  constructor(private readonly size: number) {
    this.ring = new Array<string | undefined>(Math.max(0, size));
  }

  /**
   * SHA-256 of topic, NUL, payload (base64, 22 characters). Every MQTT message is digested: one `crypto.hash` over
   * the bytes copied into a scratch buffer costs about 60 % of a `createHash` object per message; the same bytes,
   * so the same digest as checkpoints saved before.
   */
  static digest(topic: string, payload: Uint8Array): string {
    if (topic.length * 3 + 1 + payload.byteLength > SCRATCH.length) return createHash("sha256").update(topic).update("\0").update(payload).digest("base64").slice(0, 22);
    const n = SCRATCH.write(topic, 0);
    SCRATCH[n] = 0;
    SCRATCH.set(payload, n + 1);
    return hash("sha256", SCRATCH.subarray(0, n + 1 + payload.byteLength), "base64").slice(0, 22);
  }

  has(d: string): boolean {
    return this.count.has(d);
  }

  add(d: string): void {
    if (this.size === 0) return;
    const old = this.ring[this.next];
    if (old !== undefined) {
      const n = this.count.get(old)! - 1;
      if (n === 0) this.count.delete(old);
      else this.count.set(old, n);
    }
    this.ring[this.next] = d;
    this.count.set(d, (this.count.get(d) ?? 0) + 1);
    this.next = (this.next + 1) % this.size;
  }

  /** Oldest first, for a checkpoint. */
  toJSON(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.size; i++) {
      const d = this.ring[(this.next + i) % this.size];
      if (d !== undefined) out.push(d);
    }
    return out;
  }

  load(list: readonly string[]): void {
    for (const d of list.slice(-this.size)) this.add(d);
  }
}
