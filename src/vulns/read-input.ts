/** Reading an input file as text, unpacking gzip on the way (EPSS and NVD feeds are published gzipped). */
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";

export async function readInputBytes(file: string): Promise<Buffer> {
  const bytes = await readFile(file);
  return isGzip(bytes) ? gunzipSync(bytes) : bytes;
}

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

export function isZip(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
}

/** UTF-8 text, refusing binary files with a clear reason instead of parsing garbage. */
export function decodeText(bytes: Buffer): string | { error: string } {
  const sample = bytes.subarray(0, 8192);
  if (sample.includes(0)) return { error: "is a binary file, not text (give the SBOM or feed itself, or a .gz / .zip of it)" };
  return bytes.toString("utf8");
}
