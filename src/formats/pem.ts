/**
 * PEM blocks (RFC 7468) found anywhere in a text: `-----BEGIN <label>-----`, base64, `-----END <label>-----`. Text
 * around and between blocks is ignored, because certificate files often carry `openssl x509 -text` dumps, bag
 * attributes or comments.
 *
 * Blocks are decoded on demand (`decode()`), so a chain parser that only needs the first two certificates of a long
 * bundle does not pay for the rest. Characters that are not base64 are skipped by the decoder; a corrupted body
 * therefore surfaces as a DER error, which is where the reason can be told precisely.
 */

export interface PemBlock {
  label: string;
  /** The decoded bytes, or an error when the block is malformed. */
  decode(): { der: Buffer } | { error: string };
}

export interface PemScan {
  blocks: PemBlock[];
  /** A BEGIN line after the last complete block: the text was cut off. */
  truncated: boolean;
}

const BEGIN = "-----BEGIN ";
const END = "-----END ";
const DASHES = "-----";
const LABEL = /^[A-Z0-9][A-Z0-9 ]*$/;
/** RFC 1421 style headers (`Proc-Type: …`) may precede the base64 of old encrypted keys. */
const HEADERS = /^\s*(?:[A-Za-z0-9-]+:[^\n]*\n)+/;

// Scanned with indexOf rather than one regex: a lazy `[^]*?` up to the END line retries at every character of a
// multi-kilobyte body, and this runs once per device certificate.
export function pemBlocks(text: string): PemScan {
  const blocks: PemBlock[] = [];
  let pos = 0;
  for (;;) {
    const begin = text.indexOf(BEGIN, pos);
    if (begin === -1) return { blocks, truncated: false };
    const labelStart = begin + BEGIN.length;
    const labelEnd = text.indexOf(DASHES, labelStart);
    if (labelEnd === -1) return { blocks, truncated: true };
    const label = text.slice(labelStart, labelEnd);
    const bodyStart = labelEnd + DASHES.length;
    if (!LABEL.test(label)) {
      pos = bodyStart;
      continue;
    }
    const end = text.indexOf(END, bodyStart);
    if (end === -1) return { blocks, truncated: true };
    const nested = text.indexOf(BEGIN, bodyStart);
    if (nested !== -1 && nested < end) {
      // This block was cut off before its END line and another one starts inside it.
      blocks.push({ label, decode: () => ({ error: `the ${label} block has no END line` }) });
      pos = nested;
      continue;
    }
    const endLabelStart = end + END.length;
    const endLabelEnd = text.indexOf(DASHES, endLabelStart);
    if (endLabelEnd === -1) return { blocks, truncated: true };
    blocks.push(block(label, text.slice(endLabelStart, endLabelEnd), text.slice(bodyStart, end)));
    pos = endLabelEnd + DASHES.length;
  }
}

function block(label: string, endLabel: string, body: string): PemBlock {
  return {
    label,
    decode() {
      if (endLabel !== label) return { error: `BEGIN ${label} is closed by END ${endLabel}` };
      const text = body.indexOf(":") === -1 ? body : body.replace(HEADERS, "");
      const der = Buffer.from(text, "base64");
      return der.length === 0 ? { error: `the ${label} block is empty` } : { der };
    },
  };
}
