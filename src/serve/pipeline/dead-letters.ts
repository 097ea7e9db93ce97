/**
 * The sinks' dead-letter list backed by the store (and so visible in the API): letters are written in small batches
 * (one write per burst, not per alert), and `add` resolves once its letter is written, so a sink counts it only then.
 */
import type { NewDeadLetter, Store } from "../../store/store.ts";
import type { DeadLetter, DeadLetterStore } from "../../transport/sinks/dead-letter.ts";

export class StoreDeadLetters implements DeadLetterStore {
  private pending: { letter: NewDeadLetter; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;
  errors = 0;

  constructor(
    private readonly store: Store,
    private readonly onError: (message: string, detail: Record<string, unknown>) => void,
  ) {}

  add(l: DeadLetter): Promise<void> {
    const letter: NewDeadLetter = {
      sink: l.sink,
      sink_type: l.sink_type,
      alert_id: l.notice.alert.id,
      change: l.notice.change,
      reason: l.reason,
      attempts: l.attempts,
      at: l.at,
      alert: JSON.stringify(l.notice.alert),
      ...(l.error !== undefined ? { error: l.error } : {}),
    };
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ letter, resolve, reject });
      this.writing ??= new Promise<void>((r) => setImmediate(r)).then(() => this.write());
    });
  }

  private async write(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, 1000);
      try {
        await this.store.live.addDeadLetters(batch.map((b) => b.letter));
        for (const b of batch) b.resolve();
      } catch (e) {
        this.errors += batch.length;
        this.onError(`dead-letter list: ${batch.length} letters could not be written`, { error: (e as Error).message });
        for (const b of batch) b.reject(e);
      }
    }
    this.writing = undefined;
  }

  /** Waits until everything added so far is written. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }
}
