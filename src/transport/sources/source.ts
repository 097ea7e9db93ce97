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

/**
 * `taken`, where a source passes it, may be called once the batch is durably taken and before the handler's promise
 * settles (its remaining work, e.g. detection, still to come): the source acknowledges the batch at once instead of
 * after that work, and a rejection after it no longer retries the batch (it was taken; retrying would take it twice).
 */
export type BatchHandler<T> = (batch: readonly T[], taken?: () => void) => Promise<HandlerResult | void>;

export type SourceLog = (message: string, detail?: Record<string, unknown>) => void;
