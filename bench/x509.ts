/**
 * Benchmark of the X.509 parser: parse N distinct device certificate files (leaf + CA chain, as an inventory's
 * cert_file holds them) and compare with node's X509Certificate reading the comparable fields, in the same run.
 *
 *   npm run bench:x509 [-- --n 100000 --node-sample 10000 --dist]
 *
 * `--dist` times the compiled parser in dist/ (run `npm run build` first), which is what the CLI runs; by default the
 * TypeScript sources run through tsx.
 *
 * The certificates are made by openssl once (a P-256 CA; P-256, RSA-2048 and Ed25519 leaves), then multiplied into N
 * distinct files by rewriting their serial numbers, so no fingerprint repeats and nothing can be cached. Self-signed
 * certificates are measured separately: only they pay for a signature check, and its cost depends on the key type.
 */
import { X509Certificate } from "node:crypto";
import { cpus, loadavg, totalmem } from "node:os";
import { execFileSync } from "node:child_process";
import { decodeCertificate } from "../src/formats/x509-cert.ts";
import * as fromSource from "../src/formats/x509.ts";
import { type KeySpec, OpenSsl } from "../test/helpers/openssl.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const useDist = process.argv.includes("--dist");
// A variable specifier keeps tsc from resolving dist/, which only exists after a build.
const distPath = "../dist/formats/x509.js";
const { parseCertificateChain } = useDist ? ((await import(distPath)) as typeof fromSource) : fromSource;

const N = arg("n", 100_000);
const NODE_SAMPLE = Math.min(N, arg("node-sample", 10_000));
const SELF_SIGNED_PER_TYPE = arg("self-signed", 2_000);

function toPem(der: Buffer): string {
  const b64 = der.toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith("\n") ? "" : "\n"}-----END CERTIFICATE-----\n`;
}

function derOf(pem: string): Buffer {
  return Buffer.from(pem.split("-----")[2]!, "base64");
}

/** `count` copies of the certificates with distinct serial numbers (same length, so the DER layout is unchanged). */
function variants(bases: Buffer[], count: number, suffix = ""): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const der = Buffer.from(bases[i % bases.length]!);
    const serial = decodeCertificate(der, 0, der.length).serial;
    let v = i + 1;
    for (let p = serial.end - 1; p > serial.body; p--, v = Math.floor(v / 256)) der[p] = v & 0xff;
    der[serial.body] = 0x01;
    // Through a Buffer so every string is flat, as one read from a file would be.
    out.push(Buffer.from(toPem(der) + suffix).toString("utf8"));
  }
  return out;
}

/**
 * CPU milliseconds spent on the items (user + system time of this process). The machine is shared, so wall time
 * depends on who else is running; CPU time is what the parser costs. Wall time is kept for the report too.
 */
function time<T>(items: readonly T[], f: (x: T) => void): number {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (const x of items) f(x);
  const used = process.cpuUsage(cpu);
  wallMs.push(Number(process.hrtime.bigint() - wall) / 1e6);
  return (used.user + used.system) / 1000;
}

const wallMs: number[] = [];

const o = new OpenSsl();
try {
  const setupStart = Date.now();
  const ec = { type: "ec", curve: "prime256v1" } as const satisfies KeySpec;
  const ca = o.selfSigned(o.key(ec), { subject: "/O=Longwatch Bench/CN=Device CA", ca: true, days: 3650 });
  const leafSpecs: KeySpec[] = [...Array(12).fill(ec), ...Array(6).fill({ type: "rsa", bits: 2048 }), ...Array(2).fill({ type: "ed25519" })];
  const leaves = leafSpecs.map((k, i) => derOf(o.issue(ca, o.key(k), { subject: `/O=Longwatch Bench/CN=device-${i}` }).pem));
  const files = variants(leaves, N, ca.pem);
  const selfSigned = (["ec", "rsa", "ed25519"] as const).map((type) => {
    const spec: KeySpec = type === "ec" ? ec : type === "rsa" ? { type, bits: 2048 } : { type };
    const bases = [0, 1].map((i) => derOf(o.selfSigned(o.key(spec), { subject: `/CN=self-${type}-${i}` }).pem));
    return { type: type === "ec" ? "P-256" : type === "rsa" ? "RSA-2048" : "Ed25519", files: variants(bases, SELF_SIGNED_PER_TYPE) };
  });
  console.log(`setup: ${N} files (leaf + CA) in ${((Date.now() - setupStart) / 1000).toFixed(1)} s`);

  // Warm up both paths so the JIT has compiled them before timing.
  let sink = 0;
  for (const f of files.slice(0, 2000)) {
    const r = parseCertificateChain(f);
    if ("certificate" in r) sink += r.certificate.key_bits;
    sink += new X509Certificate(f).subject.length;
  }

  // Results are counted, not kept: the importer stores certificates in batches and drops them, and keeping 100k
  // objects alive would time the garbage collector's old generation rather than the parser.
  const counts = { parsed: 0, ec: 0 };
  const oursMs = time(files, (f) => {
    const r = parseCertificateChain(f);
    if ("error" in r) throw new Error(r.error);
    counts.parsed++;
    if (r.certificate.key_type === "ec") counts.ec++;
  });
  const sample = files.slice(0, NODE_SAMPLE);
  const nodeMs = time(sample, (f) => {
    // The fields Longwatch needs that node can give: identity, validity, key type and size, CA flag.
    const x = new X509Certificate(f);
    sink += x.fingerprint256.length + x.subject.length + x.issuer.length + x.serialNumber.length + x.validFrom.length + x.validTo.length + (x.ca ? 1 : 0);
    const k = x.publicKey;
    sink += (k.asymmetricKeyType?.length ?? 0) + (k.asymmetricKeyDetails?.modulusLength ?? 0) + (k.asymmetricKeyDetails?.namedCurve?.length ?? 0);
  });
  const selfRows = selfSigned.map((s) => {
    const ms = time(s.files, (f) => {
      const r = parseCertificateChain(f);
      if ("certificate" in r) sink += r.certificate.self_issued ? 1 : 0;
    });
    const fast = time(s.files, (f) => {
      const r = parseCertificateChain(f, { verifySelfSigned: false });
      if ("certificate" in r) sink += 1;
    });
    return { type: s.type, perSec: (s.files.length / ms) * 1000, unverifiedPerSec: (s.files.length / fast) * 1000 };
  });

  const oursRate = (N / oursMs) * 1000;
  const nodeRate = (NODE_SAMPLE / nodeMs) * 1000;
  const cpu = cpus();
  const openssl = execFileSync("openssl", ["version"], { encoding: "utf8" }).trim();
  console.log(`\nmachine: ${cpu.length} × ${cpu[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${openssl}`);
  console.log(`parser: ${useDist ? "dist/ (compiled by tsc)" : "src/ through tsx"}`);
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  console.log(`\n| what | certificates | CPU time | wall time | certs/s (CPU) |`);
  console.log(`|---|---:|---:|---:|---:|`);
  console.log(`| parseCertificateChain, CA-issued leaf + CA (P-256 / RSA-2048 / Ed25519 = 12:6:2) | ${N} | ${(oursMs / 1000).toFixed(2)} s | ${(wallMs[0]! / 1000).toFixed(2)} s | ${Math.round(oursRate)} |`);
  console.log(`| node X509Certificate, same files, comparable fields | ${NODE_SAMPLE} | ${(nodeMs / 1000).toFixed(2)} s | ${(wallMs[1]! / 1000).toFixed(2)} s | ${Math.round(nodeRate)} |`);
  for (const r of selfRows) {
    console.log(`| parseCertificateChain, self-signed ${r.type} (signature checked / not checked) | ${SELF_SIGNED_PER_TYPE} | | | ${Math.round(r.perSec)} / ${Math.round(r.unverifiedPerSec)} |`);
  }
  console.log(`\nratio: ${(oursRate / nodeRate).toFixed(1)}× node's X509Certificate; 100k CA-issued certificates in ${(100_000 / oursRate).toFixed(2)} s of CPU`);
  console.log(`(check: ${counts.parsed} parsed, ${counts.ec} EC, sink ${sink > 0})`);
} finally {
  o.cleanup();
}
