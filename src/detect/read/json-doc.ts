/**
 * A `.json` file: one Device Defender report (pretty-printed, as `aws iot` tools and agents save them), a wrapper
 * around one, or an array of records or reports. Arrays are read element by element (formats/ndjson's
 * JsonArrayParser), so a large file streams; each element becomes zero or more records.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { jsonProblem } from "../../formats/json-path.ts";
import { JsonArrayParser } from "../../formats/ndjson.ts";
import { type FeedNotice, toUtf8, Utf8Feed } from "../../formats/utf8-feed.ts";
import { asAwsReport, awsReportRecords, type TextRecord } from "./aws-dd.ts";
import { F, FIELD_NAMES, ZEEK_ALIASES } from "./fields.ts";
import type { Rec } from "./rec.ts";
import { applyDefaults, type Defaults, deviceFallback, MAX_REJECT_TEXT, type RecordSource, type RejectSink, type TextOptions } from "./source.ts";

const EMPTY = new Uint8Array(0);

export class JsonDocSource implements RecordSource {
  private readonly fd: number;
  /** Bytes given instead of a file, read in one go. */
  private bytes: Uint8Array | undefined;
  private readonly chunk = Buffer.allocUnsafe(1 << 20);
  private readonly decoder = new TextDecoder();
  private parser: JsonArrayParser | undefined;
  private whole = "";
  private done = false;
  private queue: { line: number; rec: TextRecord; zeek?: boolean }[] = [];
  private readonly stem: string;
  /** The file's bytes as UTF-8 (formats/utf8-feed.ts); the text is then decoded without any replacement. */
  private readonly feed: Utf8Feed | undefined;
  private notice: FeedNotice | undefined;
  /** Line breaks in the text read so far, to name the line of a notice (counted until there is one; -1: not counted). */
  private breaks: number;

  constructor(
    readonly name: string,
    private readonly opts: { kind?: number; onReject: RejectSink; bytes?: Uint8Array; defaults?: Defaults } & TextOptions,
  ) {
    // Without a listener nobody hears the line of a notice: the breaks are not counted at all.
    this.breaks = opts.onWarning ? 0 : -1;
    const onNotice = (n: FeedNotice) => (this.notice = n);
    const feedOpts = { encoding: opts.encoding, onNotice, ...(opts.encodingHint ? { hint: opts.encodingHint } : {}) };
    this.bytes = opts.bytes ? toUtf8(opts.bytes, feedOpts) : undefined;
    this.fd = opts.bytes ? -1 : openSync(name, "r");
    const fd = this.fd;
    this.feed = fd >= 0 ? new Utf8Feed((into, at, len) => readSync(fd, into, at, len, null), feedOpts) : undefined;
    this.stem = deviceFallback(name, opts.defaults);
  }

  next(rec: Rec): boolean {
    for (;;) {
      const item = this.queue.shift();
      if (item) {
        rec.reset(EMPTY);
        rec.line = item.line;
        rec.zeekTime = item.zeek === true;
        for (const [k, v] of Object.entries(item.rec)) rec.setText(F[k as keyof typeof F], v);
        if (this.opts.defaults) applyDefaults(rec, this.opts.defaults);
        const why = rec.decode(this.opts.kind ?? -1);
        if (why === null) return true;
        this.opts.onReject(item.line, why, JSON.stringify(item.rec).slice(0, MAX_REJECT_TEXT));
        continue;
      }
      if (this.done) return false;
      this.read();
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
  }

  private read(): void {
    let n: number;
    let text: string;
    if (this.fd < 0) {
      // In memory: all of it as one chunk, then the end.
      const b = this.bytes;
      this.bytes = undefined;
      n = b?.byteLength ?? 0;
      if (b && this.notice) this.located(b, 0);
      text = b ? this.decoder.decode(b, { stream: true }) : this.decoder.decode();
    } else {
      n = this.feed!.read(this.chunk, 0, this.chunk.length);
      this.located(this.chunk.subarray(0, n), this.feed!.out - n);
      text = n > 0 ? this.decoder.decode(this.chunk.subarray(0, n), { stream: true }) : this.decoder.decode();
    }
    if (this.parser === undefined && this.whole === "" && text.trimStart().startsWith("[")) this.parser = new JsonArrayParser();
    if (this.parser) {
      const out = n > 0 ? this.parser.push(text) : this.parser.end();
      for (const r of out) {
        if ("error" in r) this.opts.onReject(r.line, r.error, "");
        else this.take(r.value, r.line);
      }
    } else {
      this.whole += text;
      if (this.whole.length > 64 << 20) {
        this.opts.onReject(1, "a single JSON document over 64 MiB: use NDJSON (one record per line) for large inputs", "");
        this.done = true;
        return;
      }
      if (n === 0) {
        try {
          this.take(JSON.parse(this.whole), 1);
        } catch {
          this.opts.onReject(1, jsonProblem(this.whole), this.whole.slice(0, MAX_REJECT_TEXT));
        }
      }
    }
    if (n === 0) this.done = true;
  }

  /** Counts the line breaks of UTF-8 output `b` (at output offset `at`) and names the line of a notice in it. */
  private located(b: Uint8Array, at: number): void {
    if (this.breaks < 0) return;
    const n = this.notice;
    const to = n ? Math.min(b.length, n.out - at) : b.length;
    for (let i = b.indexOf(10); i >= 0 && i < to; i = b.indexOf(10, i + 1)) this.breaks++;
    if (!n) return;
    this.opts.onWarning?.(`${this.name}:${this.breaks + 1}: ${n.message}`, { line: this.breaks + 1, reason: n.message, offset: n.offset });
    this.breaks = -1;
  }

  private take(value: unknown, line: number): void {
    const aws = asAwsReport(value);
    if (aws) {
      try {
        for (const rec of awsReportRecords(aws.report, aws.wrapper, this.stem)) this.queue.push({ line, rec });
      } catch (e) {
        this.opts.onReject(line, (e as Error).message, JSON.stringify(value).slice(0, MAX_REJECT_TEXT));
      }
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.opts.onReject(line, "not a JSON object (a record or a Device Defender report)", JSON.stringify(value)?.slice(0, MAX_REJECT_TEXT) ?? "");
      return;
    }
    const rec: TextRecord = {};
    let zeek = false;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const canonical = (FIELD_NAMES as readonly string[]).includes(k);
      const f = canonical ? k : ZEEK_ALIASES[k];
      if (f !== undefined && !canonical) zeek = true;
      if (f === undefined || v === null || typeof v === "boolean" || typeof v === "object") continue;
      rec[f] = String(v);
    }
    this.queue.push({ line, rec, zeek });
  }
}
