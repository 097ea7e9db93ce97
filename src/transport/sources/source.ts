/**
 * What every ingest source shares: it hands batches to an async handler and acknowledges (MQTT PUBACK) or advances
 * (a followed file's position) only after the handler's promise resolves. A handler that rejects has taken nothing
 * of the batch; the source tries the same batch again with backoff, and meanwhile takes in nothing more than its
 * in-flight bound, so a slow or failing handler slows the source down instead of growing memory.
 */

/** What a handler may report about a batch it took (counted in the source's stats). */
export interface HandlerResult {
  readonly accepted?: number;
  readonly rejected?: number;
}

export type BatchHandler<T> = (batch: readonly T[]) => Promise<HandlerResult | void>;

export type SourceLog = (message: string, detail?: Record<string, unknown>) => void;
