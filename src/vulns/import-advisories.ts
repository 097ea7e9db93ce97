/**
 * `longwatch import advisories FILE…`: loads advisory feeds the user downloaded (Longwatch itself never goes online
 * for them). Each file's format is detected from its content: OSV (one record, a list, a directory or a .zip of
 * records), CSAF 2.0 (advisories and VEX), NVD CVE API 2.0 JSON, the CISA KEV catalogue, and EPSS CSV; gzip is
 * unpacked. Everything is written in one transaction: an import that fails half-way leaves the store as it was.
 * Parsing is synchronous (zip entries arrive in callbacks), so writes are queued in order and awaited per file.
 * Re-importing updates records (by id) and never duplicates them. Callable as a library function.
 */
import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Unzip, UnzipInflate } from "fflate";
import type { Advisory } from "../core/advisory.ts";
import type { InputIssue } from "../core/input-issue.ts";
import { isCsafDocument, parseCsaf } from "../formats/csaf.ts";
import { looksLikeEpss, parseEpss } from "../formats/epss.ts";
import { isObject, jsonPath, parseJsonText, type ParseIssue } from "../formats/json-path.ts";
import { isKevDocument, parseKev } from "../formats/kev.ts";
import { isNvdDocument, parseNvd } from "../formats/nvd.ts";
import { parseOsv } from "../formats/osv.ts";
import type { FeedWriteCounts, StoreTx, VulnRepository } from "../store/store.ts";
import { decodeText, isGzip, isZip, readInputBytes } from "./read-input.ts";
import { comparators } from "./versions/index.ts";

export const FEED_FORMATS = ["osv", "nvd", "csaf", "kev", "epss"] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

export interface FeedFileSummary {
  file: string;
  format: FeedFormat | "unknown";
  /** Records read: advisories, KEV entries, EPSS scores. */
  records: number;
  /** Records or entries left out because of errors. */
  rejected: number;
}

export interface AdvisoryImportResult {
  files: FeedFileSummary[];
  counts: FeedWriteCounts;
  /** Up to `maxIssues` issues; `issueCount` says how many there were in all. */
  issues: InputIssue[];
  issueCount: number;
  rejected: number;
}

export interface AdvisoryImportOptions {
  maxIssues?: number;
  /** Records per database batch. */
  batch?: number;
  onProgress?(file: string, records: number): void;
}

/** Largest single JSON document accepted from a zip entry: a sanity bound on memory. */
const MAX_ENTRY_BYTES = 256 * 1024 * 1024;

export async function importAdvisoryFiles(store: StoreTx, paths: readonly string[], opts: AdvisoryImportOptions = {}): Promise<AdvisoryImportResult> {
  return store.transaction(async (tx) => {
    const run = new ImportRun(tx.vulns, opts);
    for (const p of paths) await run.path(p);
    run.flush();
    await run.drain();
    return run.result();
  });
}

class ImportRun {
  readonly files: FeedFileSummary[] = [];
  readonly issues: InputIssue[] = [];
  issueCount = 0;
  rejected = 0;
  private pending: Advisory[] = [];
  private readonly maxIssues: number;
  private readonly batch: number;
  private readonly counts: FeedWriteCounts = { added: 0, updated: 0, unchanged: 0, older: 0, kev: 0, epss: 0, vex: 0 };
  /** The writes queued so far, in order; the first failure fails the import. */
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly vulns: VulnRepository,
    private readonly opts: AdvisoryImportOptions,
  ) {
    this.maxIssues = opts.maxIssues ?? 1000;
    this.batch = opts.batch ?? 2000;
  }

  async path(p: string): Promise<void> {
    const st = await stat(p);
    if (st.isDirectory()) {
      for (const f of await jsonFilesUnder(p)) {
        await this.file(f);
        await this.drain();
      }
      return;
    }
    await this.file(p);
    await this.drain();
  }

  /** Waits for the queued writes (and fails with the first one that failed). */
  async drain(): Promise<void> {
    await this.writes;
  }

  private write(op: (v: VulnRepository) => Promise<unknown>): void {
    const prior = this.writes;
    this.writes = prior.then(() => op(this.vulns)).then(() => undefined);
    // The chain is awaited by drain(); this keeps an early failure from being reported as unhandled meanwhile.
    this.writes.catch(() => undefined);
  }

  private async file(file: string): Promise<void> {
    const head = await readHead(file);
    if (isZip(head)) return this.zip(file);
    const bytes = await readInputBytes(file);
    if (isZip(bytes)) return this.zipBytes(file, bytes);
    this.document(file, bytes);
  }

  /** One document (JSON or CSV) from a file or zip entry. */
  private document(file: string, bytes: Buffer): void {
    const summary: FeedFileSummary = { file, format: "unknown", records: 0, rejected: 0 };
    this.files.push(summary);
    const text = decodeText(bytes);
    if (typeof text !== "string") return this.reject(summary, { reason: text.error, level: "error" });
    const t = text.trimStart();
    if (!t.startsWith("{") && !t.startsWith("[")) {
      if (looksLikeEpss(text)) {
        summary.format = "epss";
        const r = parseEpss(text);
        this.note(summary, r.issues, r.skipped);
        this.write((v) => v.putEpss(r.scores));
        this.counts.epss += r.scores.length;
        summary.records = r.scores.length;
        this.write((v) => v.recordFeed("epss", file, { scores: r.scores.length, ...(r.date ? { score_date: r.date } : {}) }));
        return;
      }
      return this.reject(summary, { line: 1, reason: "is not an OSV, NVD, CSAF or KEV JSON document, nor an EPSS CSV", level: "error" });
    }
    const parsed = parseJsonText(text);
    if (!parsed.ok) return this.reject(summary, { line: parsed.line, column: String(parsed.column), reason: parsed.reason, level: "error" });
    this.json(summary, parsed.value);
  }

  private json(summary: FeedFileSummary, doc: unknown): void {
    if (isCsafDocument(doc)) {
      summary.format = "csaf";
      const r = parseCsaf(doc);
      this.note(summary, r.issues, r.skipped);
      this.add(r.advisories);
      const source = isObject(doc) && isObject(doc.document) && isObject(doc.document.tracking) && typeof doc.document.tracking.id === "string" ? doc.document.tracking.id : summary.file;
      this.flush();
      this.write((v) => v.replaceVex(source, r.vex));
      this.counts.vex += r.vex.length;
      summary.records = r.advisories.length + r.vex.length;
      this.write((v) => v.recordFeed("csaf", summary.file, { document: source, advisories: r.advisories.length, vex: r.vex.length }));
      return;
    }
    if (isKevDocument(doc)) {
      summary.format = "kev";
      const r = parseKev(doc);
      this.note(summary, r.issues, r.skipped);
      this.write((v) => v.putKev(r.entries));
      this.counts.kev += r.entries.length;
      summary.records = r.entries.length;
      this.write((v) => v.recordFeed("kev", summary.file, { entries: r.entries.length, ...(r.version ? { catalog_version: r.version } : {}) }));
      return;
    }
    if (isNvdDocument(doc)) {
      summary.format = "nvd";
      const r = parseNvd(doc);
      this.note(summary, r.issues, r.skipped);
      this.add(r.advisories);
      summary.records = r.advisories.length;
      this.write((v) => v.recordFeed("nvd", summary.file, { advisories: r.advisories.length }));
      return;
    }
    const records = Array.isArray(doc) ? doc : isObject(doc) && typeof doc.id === "string" && ("affected" in doc || "modified" in doc || "aliases" in doc) ? [doc] : undefined;
    if (!records) return this.reject(summary, { path: "$", reason: "is not an OSV record, NVD CVE API 2.0 document, CSAF 2.0 document or KEV catalogue", level: "error" });
    summary.format = "osv";
    records.forEach((rec, i) => {
      const r = parseOsv(rec, (s) => comparators[s], Array.isArray(doc) ? jsonPath("$", i) : "$");
      this.note(summary, r.issues, r.skipped + (r.advisory ? 0 : 1));
      if (r.advisory) {
        this.add([r.advisory]);
        summary.records++;
      }
    });
    const read = summary.records;
    this.write((v) => v.recordFeed("osv", summary.file, { advisories: read }));
  }

  /** A zip of records (osv.dev's per-ecosystem `all.zip`): entries are read one by one, never all at once. */
  private async zip(file: string): Promise<void> {
    const unzip = this.unzipper(file);
    await new Promise<void>((resolve, reject) => {
      const stream = createReadStream(file, { highWaterMark: 1 << 20 });
      stream.on("data", (chunk) => {
        try {
          unzip.push(chunk as Buffer);
        } catch (e) {
          stream.destroy();
          reject(e instanceof Error ? new Error(`${file}: is not a readable zip (${e.message})`) : e);
        }
      });
      stream.on("end", () => {
        try {
          unzip.push(new Uint8Array(0), true);
          resolve();
        } catch (e) {
          reject(e instanceof Error ? new Error(`${file}: is not a readable zip (${e.message})`) : e);
        }
      });
      stream.on("error", reject);
    });
  }

  private zipBytes(file: string, bytes: Buffer): void {
    const unzip = this.unzipper(file);
    unzip.push(bytes, true);
  }

  private unzipper(file: string): Unzip {
    const unzip = new Unzip((entry) => {
      if (entry.name.endsWith("/") || !/\.(json|csv)(\.gz)?$/i.test(entry.name)) return;
      const parts: Uint8Array[] = [];
      let size = 0;
      entry.ondata = (err, data, final) => {
        if (err) throw err;
        size += data.length;
        if (size > MAX_ENTRY_BYTES) throw new Error(`${file}!${entry.name}: entry is larger than ${MAX_ENTRY_BYTES / 1048576} MiB`);
        parts.push(data);
        if (!final) return;
        let body = Buffer.concat(parts);
        if (isGzip(body)) body = gunzipSync(body);
        this.document(`${file}!${entry.name}`, body);
        this.opts.onProgress?.(file, this.files.length);
      };
      entry.start();
    });
    unzip.register(UnzipInflate);
    return unzip;
  }

  private add(advisories: readonly Advisory[]): void {
    for (const a of advisories) this.pending.push(a);
    if (this.pending.length >= this.batch) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.write(async (v) => {
      const c = await v.putAdvisories(batch);
      this.counts.added += c.added;
      this.counts.updated += c.updated;
      this.counts.unchanged += c.unchanged;
      this.counts.older += c.older;
    });
  }

  private note(summary: FeedFileSummary, issues: readonly ParseIssue[], skipped: number): void {
    summary.rejected += skipped;
    this.rejected += skipped;
    for (const i of issues) this.issue({ file: summary.file, ...i });
  }

  private reject(summary: FeedFileSummary, i: ParseIssue): void {
    summary.rejected++;
    this.rejected++;
    this.issue({ file: summary.file, ...i });
  }

  private issue(i: InputIssue): void {
    this.issueCount++;
    if (this.issues.length < this.maxIssues) this.issues.push(i);
  }

  result(): AdvisoryImportResult {
    return { files: this.files, counts: { ...this.counts }, issues: this.issues, issueCount: this.issueCount, rejected: this.rejected };
  }
}

async function readHead(file: string): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Every .json / .json.gz / .csv(.gz) / .zip file under a directory, in a stable order. */
async function jsonFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await jsonFilesUnder(p)));
    else if (/\.(json|csv)(\.gz)?$|\.zip$/i.test(e.name)) out.push(p);
  }
  return out;
}
