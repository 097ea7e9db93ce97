/** Shared by the adapters: a checkpoint's many small state chunks written as pieces of about 1 MiB. */
const PIECE = 1 << 20;

export function* coalesce(chunks: Iterable<Uint8Array>): Generator<Buffer> {
  let parts: Uint8Array[] = [];
  let size = 0;
  for (const c of chunks) {
    if (c.byteLength === 0) continue;
    parts.push(c);
    size += c.byteLength;
    if (size >= PIECE) {
      yield Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(parts, size);
}
