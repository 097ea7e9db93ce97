/**
 * Saves and restores everything the engine learned, so a restart (or tomorrow's replay) carries on where it left off:
 * the device index and every state column as raw bytes in `state.bin`, and a JSON header in `state.json` that says
 * where each part is, plus detectors' maps, open alerts and the event-time clock. Written to temporary files and
 * renamed, so a crash mid-save leaves the previous snapshot intact.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeviceIndex } from "./device-index.ts";
import type { Engine } from "./engine.ts";

const VERSION = 2;

interface Part {
  name: string;
  offset: number;
  length: number;
}

interface Header {
  version: number;
  now: number;
  tickDue: number | null;
  devices: number;
  detectors: string[];
  columns: Part[];
  index: Part[];
  fleet: unknown;
  detectorState: Record<string, unknown>;
  alerts: unknown;
  stats: Engine["stats"];
}

export function hasSnapshot(dir: string): boolean {
  return existsSync(join(dir, "state.json")) && existsSync(join(dir, "state.bin"));
}

export function saveSnapshot(engine: Engine, dir: string): { bytes: number } {
  mkdirSync(dir, { recursive: true });
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const place = (name: string, bytes: Uint8Array): Part => {
    const part = { name, offset, length: bytes.byteLength };
    chunks.push(bytes);
    offset += bytes.byteLength;
    // Keep every part 8-byte aligned so it can be viewed as any typed array on load.
    const pad = (8 - (offset % 8)) % 8;
    if (pad) {
      chunks.push(new Uint8Array(pad));
      offset += pad;
    }
    return part;
  };
  const devices = engine.devices();
  const columns = engine.columns.save(devices).map((c) => place(c.name, c.bytes));
  const index = Object.entries(engine.index.save()).map(([name, bytes]) => place(name, bytes));
  const header: Header = {
    version: VERSION,
    now: engine.now,
    tickDue: Number.isFinite(engine.tickDue) ? engine.tickDue : null,
    devices,
    detectors: engine.detectorIds(),
    columns,
    index,
    fleet: engine.fleet.save(),
    detectorState: engine.saveDetectors(),
    alerts: engine.book.save(),
    stats: engine.stats,
  };
  const bin = Buffer.concat(chunks);
  writeFileSync(join(dir, "state.bin.tmp"), bin);
  writeFileSync(join(dir, "state.json.tmp"), JSON.stringify(header));
  renameSync(join(dir, "state.bin.tmp"), join(dir, "state.bin"));
  renameSync(join(dir, "state.json.tmp"), join(dir, "state.json"));
  return { bytes: bin.byteLength };
}

/** The event-time clock a saved state had reached (-Infinity when it had seen no record). */
export function restoredClock(dir: string): number {
  const header = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as Pick<Header, "now">;
  return typeof header.now === "number" ? header.now : -Infinity;
}

/** Restores into a fresh engine built with the same detectors and parameters; throws when the snapshot does not fit. */
export function loadSnapshot(engine: Engine, dir: string): void {
  const header = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as Header;
  if (header.version !== VERSION) throw new Error(`state in ${dir} has version ${header.version}; this Longwatch reads version ${VERSION}`);
  const want = engine.detectorIds().join(",");
  if (header.detectors.join(",") !== want) throw new Error(`state in ${dir} was made with other detectors (${header.detectors.join(", ")}); use the same --detectors or a new --state folder`);
  const bin = readFileSync(join(dir, "state.bin"));
  const slice = (p: Part) => new Uint8Array(bin.buffer, bin.byteOffset + p.offset, p.length);
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
