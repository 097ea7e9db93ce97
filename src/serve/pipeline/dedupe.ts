/**
 * Drops MQTT redeliveries of messages already taken in. A QoS 1 message is journaled, then acknowledged; if the
 * process dies in between (or the connection drops), the broker sends it again marked DUP. Every message's digest
 * (topic and payload) is kept for the latest `size` messages — saved with each checkpoint, rebuilt from the journal
 * on restart — and a DUP message whose digest is there is acknowledged without being processed again. A message
 * without DUP is never dropped: identical payloads sent twice by a device are its business.
 */
import { createHash } from "node:crypto";

export class RecentDigests {
  private readonly ring: (string | undefined)[];
  private readonly count = new Map<string, number>();
  private next = 0;

  constructor(private readonly size: number) {
    this.ring = new Array<string | undefined>(Math.max(0, size));
  }

  static digest(topic: string, payload: Uint8Array): string {
    return createHash("sha256").update(topic).update("\0").update(payload).digest("base64").slice(0, 22);
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
