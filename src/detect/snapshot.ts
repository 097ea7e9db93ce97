/**
 * Saves and restores everything the engine learned, so a restart (or tomorrow's replay) carries on where it left off.
 *
 * One file, `state.lwst`: the engine's state stream (state-stream.ts: version, header, parts, CRC-32), written chunk by
 * chunk (no buffer of the whole state, so no 2 GiB limit) to `state.lwst.tmp`, flushed and renamed once. A crash
 * mid-save leaves the previous state; a cut or changed file is refused on load (version, checksum, counts).
 *
 * The alerts of the run travel in the same file (its outbox) with the verdicts it learned: the state and the alerts
 * are one atomic unit. The store write comes after the rename, and only then does `state.stored` name the run as
 * stored. A run whose store write failed (a locked store) leaves its outbox pending, and the next run stores it with
 * its own alerts, so no alert is ever lost to a state that has already moved past its records.
 *
 * Folders written by older versions (`state.bin` + `state.json`, renamed separately) are still read once: their sizes
 * must agree with the header; the next save replaces them.
 */
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { LongwatchError } from "../core/errors.ts";
import type { Alert } from "../core/record.ts";
import { DeviceIndex } from "./device-index.ts";
import type { Engine } from "./engine.ts";
import { encodeState, StateDecoder } from "./state-stream.ts";

export const STATE_FILE = "state.lwst";
const STORED_FILE = "state.stored";
const LEGACY_VERSION = 2;
/** Reads go through buffers of this size: a state is never read into one buffer. */
const READ_CHUNK = 16 << 20;

/** The alerts a run raised or changed and the verdicts it learned, saved with its state until the store has them. */
export interface Outbox {
  run_id: string;
  alerts: Alert[];
  learned: string[];
  /** Written and checked on load: the outbox is complete. */
  count: number;
}

export function hasSnapshot(dir: string): boolean {
  return existsSync(join(dir, STATE_FILE)) || hasLegacy(dir);
}

function hasLegacy(dir: string): boolean {
  return existsSync(join(dir, "state.json")) && existsSync(join(dir, "state.bin"));
}

/**
 * Writes the engine's state (and the run's outbox) to `dir/state.lwst` in one rename. Returns the bytes written and
 * the outbox's run id (to mark it stored once the store has the alerts).
 */
export function saveSnapshot(engine: Engine, dir: string, outbox?: { alerts: Alert[]; learned: string[] }): { bytes: number; runId?: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const box: Outbox | null = outbox ? { run_id: randomUUID(), alerts: outbox.alerts, learned: outbox.learned, count: outbox.alerts.length } : null;
  const tmp = join(dir, `${STATE_FILE}.tmp`);
  const target = join(dir, STATE_FILE);
  let bytes = 0;
  const fd = openSync(tmp, "w", 0o600);
  try {
    for (const chunk of encodeState(engine, { outbox: box })) {
      for (let at = 0; at < chunk.byteLength; ) at += writeSync(fd, chunk, at, chunk.byteLength - at);
      bytes += chunk.byteLength;
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    const code = (e as { code?: string }).code === "ENOSPC" || (e as { code?: string }).code === "EDQUOT" ? "resources_exhausted" : "internal";
    throw new LongwatchError(code, `cannot save the detection state to ${target}: ${(e as Error).message}; the previous state is kept`, { file: target }, { cause: e });
  }
  closeSync(fd);
  renameSync(tmp, target);
  syncFolder(dir);
  // The older pair would be read instead of nothing if this file went missing; it is stale now.
  rmSync(join(dir, "state.json"), { force: true });
  rmSync(join(dir, "state.bin"), { force: true });
  return { bytes, ...(box ? { runId: box.run_id } : {}) };
}

/** Notes that the outbox of run `runId` is in the store: the next run need not store it again. */
export function markStored(dir: string, runId: string): void {
  const tmp = join(dir, `${STORED_FILE}.tmp`);
  writeFileSync(tmp, `${runId}\n`, { mode: 0o600 });
  renameSync(tmp, join(dir, STORED_FILE));
}

function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse to fsync a folder; the rename is still atomic.
  }
}

/** The event-time clock a saved state had reached (-Infinity when it had seen no record). Reads only the header. */
export function restoredClock(dir: string): number {
  if (!existsSync(join(dir, STATE_FILE))) {
    const header = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { now?: unknown };
    return typeof header.now === "number" ? header.now : -Infinity;
  }
  const file = join(dir, STATE_FILE);
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(12);
    if (readSync(fd, head, 0, 12, 0) !== 12) throw invalid(file, "it ended early (in its head)");
    const length = head.readUInt32LE(8);
    if (length > statSync(file).size) throw invalid(file, "its header is longer than the file");
    const json = Buffer.alloc(length);
    if (readSync(fd, json, 0, length, 12) !== length) throw invalid(file, "it ended early (in its header)");
    let now: unknown;
    try {
      now = (JSON.parse(json.toString("utf8")) as { now?: unknown }).now;
    } catch {
      throw invalid(file, "its header is not valid JSON");
    }
    return typeof now === "number" ? now : -Infinity;
  } finally {
    closeSync(fd);
  }
}

/**
 * Restores into a fresh engine built with the same detectors and parameters; throws `state_invalid` when the file does
 * not fit or was damaged. Returns the outbox of the run that saved it when the store does not have it yet.
 */
export function loadSnapshot(engine: Engine, dir: string, opts: { readChunk?: number } = {}): Outbox | undefined {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) {
    loadLegacy(engine, dir);
    return undefined;
  }
  const decoder = new StateDecoder();
  const size = opts.readChunk ?? READ_CHUNK;
  const fd = openSync(file, "r");
  let extra: unknown;
  try {
    for (;;) {
      // A fresh buffer each time: the decoder may keep views of a chunk until it has a whole header.
      const buf = Buffer.allocUnsafe(size);
      const n = readSync(fd, buf, 0, size, null);
      if (n === 0) break;
      decoder.push(buf.subarray(0, n));
    }
    extra = decoder.apply(engine);
  } catch (e) {
    if (e instanceof LongwatchError) throw new LongwatchError("state_invalid", `${file}: ${e.message.replace(/^detection state: /, "")}; move it away to start afresh (baselines are learned again)`, { file }, { cause: e });
    throw e;
  } finally {
    closeSync(fd);
  }
  const box = (extra as { outbox?: Outbox | null } | null)?.outbox ?? undefined;
  if (!box) return undefined;
  if (!Array.isArray(box.alerts) || box.alerts.length !== box.count || !Array.isArray(box.learned)) throw invalid(file, `its outbox holds ${Array.isArray(box.alerts) ? box.alerts.length : "no"} alerts where ${box.count} were written`);
  const stored = existsSync(join(dir, STORED_FILE)) ? readFileSync(join(dir, STORED_FILE), "utf8").trim() : "";
  return stored === box.run_id ? undefined : box;
}

function invalid(file: string, why: string): LongwatchError {
  return new LongwatchError("state_invalid", `${file}: ${why}; move it away to start afresh (baselines are learned again)`, { file });
}

interface LegacyPart {
  name: string;
  offset: number;
  length: number;
}

interface LegacyHeader {
  version: number;
  now: number;
  tickDue: number | null;
  devices: number;
  detectors: string[];
  columns: LegacyPart[];
  index: LegacyPart[];
  fleet: unknown;
  detectorState: Record<string, unknown>;
  alerts: unknown;
  stats: Engine["stats"];
}

/** The two-file layout of version 2; refused when the pair does not belong together (sizes disagree). */
function loadLegacy(engine: Engine, dir: string): void {
  const header = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as LegacyHeader;
  if (header.version !== LEGACY_VERSION) throw new LongwatchError("state_invalid", `state in ${dir} has version ${header.version}; this Longwatch reads version ${LEGACY_VERSION} (state.json) and ${STATE_FILE}`);
  const want = engine.detectorIds().join(",");
  if (header.detectors.join(",") !== want) throw new LongwatchError("state_invalid", `state in ${dir} was made with other detectors (${header.detectors.join(", ")}); use the same --detectors or a new --state folder`);
  const bin = readFileSync(join(dir, "state.bin"));
  const parts = [...header.columns, ...header.index];
  const end = parts.reduce((m, p) => Math.max(m, p.offset + p.length), 0);
  if (bin.byteLength < end || bin.byteLength - end >= 8) throw new LongwatchError("state_invalid", `state.bin in ${dir} has ${bin.byteLength} bytes where its state.json describes ${end}: the two files are from different saves; move them away to start afresh`);
  const slice = (p: LegacyPart) => new Uint8Array(bin.buffer, bin.byteOffset + p.offset, p.length);
  const index = DeviceIndex.load(Object.fromEntries(header.index.map((p) => [p.name, slice(p)])), header.devices);
  engine.fleet.load(header.fleet);
  engine.restoreIndex(index, header.now ?? -Infinity, header.tickDue ?? -Infinity);
  engine.columns.load(header.devices, new Map(header.columns.map((p) => [p.name, slice(p)])));
  engine.loadDetectors(header.detectorState);
  engine.book.load(header.alerts);
  const st = header.stats as Partial<Engine["stats"]>;
  if (Array.isArray(st.records)) engine.stats.records.splice(0, 4, ...st.records);
  if (Array.isArray(st.late)) engine.stats.late.splice(0, 4, ...st.late);
  for (const k of ["lateUnused", "implausible", "unresolved"] as const) if (typeof st[k] === "number") engine.stats[k] = st[k];
}
