/**
 * `npm run bench:vulns`: matching 1,000 firmware images × 300 components against 200,000 advisories.
 *
 * Workload (synthetic, seeded): a universe of 4,000 packages; each firmware image takes 300 of them (skewed, so common
 * packages such as openssl appear in most images, as in real fleets) at one of a few versions each; 200,000 advisories
 * spread over the packages (also skewed: popular packages have hundreds), each with one to three version intervals.
 * Half the components are identified by CPE (matched with NVD-style ranges, generic versions), half by a Debian purl
 * (dpkg comparison). Everything goes through the real store (SQLite file in a temp folder) and the real matcher.
 *
 * Reports: import time of the advisories and SBOMs, the time to match every firmware image (`assessFirmware`, what the
 * vulnerable-component rule runs), linearity (the same with 100 / 200 / 300 components per image), and the baseline:
 * a components × advisories loop on a sample, scaled to the full workload, in the same run.
 *
 *   npm run bench:vulns [-- --firmware 1000 --components 300 --advisories 200000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, totalmem, tmpdir } from "node:os";
import { join } from "node:path";
import type { Advisory, Affected } from "../src/core/advisory.ts";
import type { StoredComponent } from "../src/core/component.ts";
import { openSqliteStore, type SqliteStore } from "../src/store/sqlite/index.ts";
import { AliasTable } from "../src/vulns/aliases.ts";
import { assessFirmware, type FirmwareRef } from "../src/vulns/assess.ts";
import { componentKeys } from "../src/vulns/component-keys.ts";
import { affects } from "../src/vulns/match.ts";
import { rng } from "../test/helpers/random.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const FIRMWARE = arg("firmware", 1000);
const COMPONENTS = arg("components", 300);
const ADVISORIES = arg("advisories", 200_000);
const PACKAGES = 4000;
const r = rng(8547);

/** Zipf-like pick: low indices (popular packages) much more often. */
const skewed = (n: number) => Math.min(n - 1, Math.floor(n * Math.pow(r(), 2.2)));
const ver = (major: number, minor: number, patch: number) => `${major}.${minor}.${patch}`;
const pkgVersion = (p: number, variant: number) => ver(1 + (p % 3), (p * 7 + variant * 3) % 20, (variant * 5 + p) % 30);
const isDeb = (p: number) => p % 2 === 1;

function advisory(i: number): Advisory {
  const p = skewed(PACKAGES);
  const ranges = Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
    const major = 1 + Math.floor(r() * 3);
    const minor = Math.floor(r() * 20);
    return { introduced: ver(major, minor, 0), fixed: ver(major, minor, 1 + Math.floor(r() * 30)) };
  });
  const affected: Affected = isDeb(p)
    ? { key: `purl:deb/debian/pkg${p}`, scheme: "dpkg", ranges: ranges.map((b) => ({ introduced: `${b.introduced}-1`, fixed: `${b.fixed}-1` })), versions: [] }
    : { key: `cpe:vendor${p}:product${p}`, scheme: "generic", ranges, versions: [] };
  return { id: `BENCH-${i}`, source: i % 2 ? "osv" : "nvd", aliases: [`CVE-2099-${100000 + i}`], summary: `Synthetic advisory ${i}`, modified: "2025-01-01T00:00:00Z", severity: "high", cvss: { version: "3.1", score: 7.5 }, references: [], affected: [affected] };
}

function firmwareComponents(f: number, count: number): StoredComponent[] {
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(skewed(PACKAGES));
  const aliases = new AliasTable("bench", []);
  return [...chosen].map((p) => {
    const v = pkgVersion(p, (f + p) % 4);
    const c = isDeb(p) ? { name: `pkg${p}`, version: `${v}-1`, purl: `pkg:deb/debian/pkg${p}@${v}-1`, ecosystem: "deb" } : { name: `pkg${p}`, version: v, cpe: `cpe:2.3:a:vendor${p}:product${p}:${v}:*:*:*:*:*:*:*` };
    return { ...c, keys: componentKeys(c, { aliases }) };
  });
}

/** Wall seconds and CPU seconds (user + system) of this process: on a shared machine CPU time is the steadier figure. */
const cpuTimes: number[] = [];
async function time<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const v = await fn();
  const c = process.cpuUsage(c0);
  cpuTimes.push((c.user + c.system) / 1e6);
  return [v, (performance.now() - t0) / 1000];
}
const lastCpu = () => cpuTimes[cpuTimes.length - 1]!;

async function loadSboms(store: SqliteStore, count: number, perImage: number, tag: string): Promise<FirmwareRef[]> {
  const refs: FirmwareRef[] = [];
  for (let f = 0; f < count; f++) {
    const ref = { model_id: `M${f % 50}`, firmware_version: `${tag}.${f}` };
    await store.vulns.replaceSbom({ ...ref, format: "cyclonedx", source: "bench", imported_at: "2025-01-01T00:00:00Z", component_count: perImage }, firmwareComponents(f, perImage), []);
    refs.push(ref);
  }
  return refs;
}

const dir = process.env.BENCH_KEEP ?? mkdtempSync(join(tmpdir(), "lw-bench-vulns-"));
const store = openSqliteStore(join(dir, "longwatch.db"));
try {
  const cpu: Record<string, number> = {};
  const [, tAdv] = await time(async () => {
    await store.transaction(async (tx) => {
      for (let i = 0; i < ADVISORIES; i += 5000) await tx.vulns.putAdvisories(Array.from({ length: Math.min(5000, ADVISORIES - i) }, (_, j) => advisory(i + j)));
    });
  });
  cpu.adv = lastCpu();
  const [refs, tSbom] = await time(() => loadSboms(store, FIRMWARE, COMPONENTS, "full"));
  cpu.sbom = lastCpu();
  const rssBefore = process.memoryUsage().rss;
  if (process.env.BENCH_STOP_AFTER_LOAD) process.exit(0);
  const [result, tMatch] = await time(() => assessFirmware(store, refs));
  const rssAfter = process.memoryUsage().rss;
  cpu.match = lastCpu();
  let matches = 0;
  for (const list of result.values()) matches += list.length;

  // Linearity in the number of images (components): subsets of the stored images, fresh matcher each time.
  const byImages: { n: number; s: number; cpu: number }[] = [];
  for (const n of [250, 500, 1000].filter((x) => x <= FIRMWARE)) {
    const [, s] = await time(() => assessFirmware(store, refs.slice(0, n)));
    byImages.push({ n, s, cpu: lastCpu() });
  }
  // Linearity in components per image: the same advisories, images with 100 / 200 / 300 components.
  const linear: { n: number; s: number; cpu: number }[] = [];
  for (const n of [100, 200, 300]) {
    const rr = await loadSboms(store, Math.min(FIRMWARE, 300), n, `lin${n}`);
    const [, s] = await time(() => assessFirmware(store, rr));
    linear.push({ n, s, cpu: lastCpu() });
  }

  // Baseline: every component against every advisory (what an unindexed matcher does), on a sample, scaled up.
  const sampleImages = 2;
  const all = await store.vulns.affectedByKeys([...new Set(Array.from({ length: PACKAGES }, (_, p) => (isDeb(p) ? `purl:deb/debian/pkg${p}` : `cpe:vendor${p}:product${p}`)))]);
  const entries = [...all.values()].flat();
  const [baseHits, tBase] = await time(() => {
    let hits = 0;
    for (let f = 0; f < sampleImages; f++) {
      for (const c of firmwareComponents(f, COMPONENTS)) for (const k of c.keys) for (const e of entries) if (e.affected.key === k.key && affects(e.affected, k.version, true)) hits++;
    }
    return hits;
  });
  const tBaseFull = (tBase / sampleImages) * FIRMWARE;
  const cpuBaseFull = (lastCpu() / sampleImages) * FIRMWARE;

  const cpuModel = cpus()[0]?.model ?? "unknown CPU";
  const f2 = (x: number) => x.toFixed(2);
  console.log(`Machine: ${cpus().length} × ${cpuModel}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(`Workload: ${FIRMWARE.toLocaleString("en-US")} firmware images × ${COMPONENTS} components (${(FIRMWARE * COMPONENTS).toLocaleString("en-US")}), ${ADVISORIES.toLocaleString("en-US")} advisories over ${PACKAGES} packages\n`);
  console.log(`Load average at the end: ${(await import("node:os")).loadavg().map((x) => x.toFixed(1)).join(" ")}\n`);
  console.log("| step | wall s | CPU s | rate (by CPU time) |");
  console.log("|---|---|---|---|");
  console.log(`| store ${ADVISORIES.toLocaleString("en-US")} advisories (one transaction) | ${f2(tAdv)} | ${f2(cpu.adv!)} | ${Math.round(ADVISORIES / cpu.adv!).toLocaleString("en-US")} advisories/s |`);
  console.log(`| store ${FIRMWARE.toLocaleString("en-US")} SBOMs (keys derived) | ${f2(tSbom)} | ${f2(cpu.sbom!)} | ${Math.round((FIRMWARE * COMPONENTS) / cpu.sbom!).toLocaleString("en-US")} components/s |`);
  console.log(`| **match every image** (assessFirmware) | **${f2(tMatch)}** | **${f2(cpu.match!)}** | ${Math.round((FIRMWARE * COMPONENTS) / cpu.match!).toLocaleString("en-US")} components/s; ${matches.toLocaleString("en-US")} matches; RSS +${Math.round((rssAfter - rssBefore) / 2 ** 20)} MiB |`);
  console.log(`| baseline: components × advisories loop, ${sampleImages} images measured, scaled to ${FIRMWARE} | ${f2(tBaseFull)} (est.) | ${f2(cpuBaseFull)} (est.) | ${Math.round((sampleImages * COMPONENTS * FIRMWARE) / sampleImages / cpuBaseFull).toLocaleString("en-US")} components/s; ${baseHits} hits in the sample |`);
  console.log(`\nIndexed matching takes ${(cpuBaseFull / cpu.match!).toFixed(0)}× less CPU than the baseline on this workload.`);
  console.log("\nLinearity in images (300 components each, same advisories):\n\n| images | components | wall s | CPU s | CPU vs first |");
  console.log("|---|---|---|---|---|");
  for (const l of byImages) console.log(`| ${l.n} | ${(l.n * COMPONENTS).toLocaleString("en-US")} | ${f2(l.s)} | ${f2(l.cpu)} | ${(l.cpu / byImages[0]!.cpu).toFixed(2)}× |`);
  console.log("\nComponents per image (300 images, same advisories):\n\n| components per image | wall s | CPU s | CPU µs per component | CPU vs 100 |");
  console.log("|---|---|---|---|---|");
  for (const l of linear) console.log(`| ${l.n} | ${f2(l.s)} | ${f2(l.cpu)} | ${((l.cpu / (Math.min(FIRMWARE, 300) * l.n)) * 1e6).toFixed(1)} | ${(l.cpu / linear[0]!.cpu).toFixed(2)}× |`);
} finally {
  await store.close();
  if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
}
