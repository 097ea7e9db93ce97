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

/**
 * UTF-8 text, refusing binary files with a clear reason instead of parsing garbage. One stray NUL byte does not make
 * a feed binary: the text is parsed, and its parser names the line and column of the byte (JSON refuses it there).
 */
export function decodeText(bytes: Buffer): string | { error: string } {
  const sample = bytes.subarray(0, 8192);
  const nul = sample.indexOf(0);
  if (nul !== -1 && looksBinary(sample)) return { error: `is a binary file, not text (NUL bytes from offset ${nul}; give the SBOM or feed itself, or a .gz / .zip of it)` };
  return bytes.toString("utf8");
}

/** Binary when more than one byte in ten of the sample is a control character other than tab, CR and LF. */
function looksBinary(sample: Uint8Array): boolean {
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const b = sample[i]!;
    if (b < 0x20 && b !== 9 && b !== 10 && b !== 13) control++;
  }
  return control * 10 > sample.length;
}
