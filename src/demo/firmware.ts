/**
 * The demo fleet's firmware: a CycloneDX SBOM per (model, firmware version) and the advisory feeds a user would
 * download (NVD CVE 2.0 JSON, the CISA KEV catalogue), so the demo shows vulnerable components, known-exploited
 * vulnerabilities and a VEX "not affected" statement. CVE ids, CPE names and affected version ranges are facts from
 * the NVD and the vendors' advisories; the summaries are our own words.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

type Component = [name: string, version: string, cpeVendorProduct?: string];

const C = {
  openssl: (v: string): Component => ["openssl", v, "openssl:openssl"],
  zlib: (v: string): Component => ["zlib", v, "zlib:zlib"],
  glibc: (v: string): Component => ["glibc", v, "gnu:glibc"],
  dropbear: (v: string): Component => ["dropbear", v, "dropbear_ssh_project:dropbear_ssh"],
  dnsmasq: (v: string): Component => ["dnsmasq", v, "thekelleys:dnsmasq"],
  busybox: (v: string): Component => ["busybox", v, "busybox:busybox"],
  xz: (v: string): Component => ["xz", v, "tukaani:xz"],
  mbedtls: (v: string): Component => ["mbedtls", v, "arm:mbed_tls"],
};

/** What each firmware version contains. */
const FIRMWARE: Record<string, Record<string, Component[]>> = {
  "acme-sm-g2": {
    "2.1.7": [C.mbedtls("2.16.3"), C.openssl("1.1.1k"), C.zlib("1.2.11")],
    "2.3.0": [C.mbedtls("2.16.10"), C.openssl("1.1.1m"), C.zlib("1.2.12")],
    "2.4.1": [C.mbedtls("2.28.5"), C.openssl("1.1.1w"), C.zlib("1.2.13")],
  },
  "acme-sm-g3": {
    "3.2.9": [C.mbedtls("3.4.0"), C.zlib("1.2.12")],
    "3.4.0": [C.mbedtls("3.5.1"), C.zlib("1.3")],
    "3.4.2": [C.mbedtls("3.6.2"), C.zlib("1.3.1")],
  },
  "nw-gw-100": {
    "4.8.2": [C.openssl("1.1.1k"), C.glibc("2.35"), C.dropbear("2016.72"), C.dnsmasq("2.77"), C.busybox("1.33.1"), C.zlib("1.2.11")],
    "5.1.3": [C.openssl("1.1.1n"), C.glibc("2.36"), C.dropbear("2020.81"), C.dnsmasq("2.86"), C.busybox("1.35.0"), C.zlib("1.2.12")],
    "5.2.0": [C.openssl("3.0.13"), C.glibc("2.39"), C.dropbear("2022.83"), C.dnsmasq("2.90"), C.busybox("1.36.1"), C.zlib("1.3.1")],
  },
  "nw-gw-50": {
    "3.8.1": [C.openssl("1.0.1e"), C.dropbear("2014.63"), C.dnsmasq("2.72"), C.busybox("1.22.1"), C.zlib("1.2.8")],
    "3.9.7": [C.openssl("1.0.1e"), C.dropbear("2015.67"), C.dnsmasq("2.75"), C.busybox("1.22.1"), C.zlib("1.2.8")],
  },
  "lumen-s4": { "1.4.2": [C.openssl("1.0.2k"), C.zlib("1.2.8")] },
  "eyeris-cam-2": {
    "5.8.0": [C.openssl("3.0.1"), C.glibc("2.35"), C.xz("5.4.1"), C.busybox("1.35.0")],
    "6.0.2": [C.openssl("3.0.8"), C.glibc("2.37"), C.xz("5.6.1"), C.busybox("1.36.0")],
    "6.1.0": [C.openssl("3.0.15"), C.glibc("2.39"), C.xz("5.6.2"), C.busybox("1.36.1")],
  },
  "volta-c7": {
    "3.5.0": [C.openssl("1.1.1k"), C.glibc("2.35"), C.zlib("1.2.11")],
    "3.9.8": [C.openssl("1.1.1t"), C.glibc("2.37"), C.zlib("1.2.13")],
    "4.0.3": [C.openssl("3.0.14"), C.glibc("2.39"), C.zlib("1.3.1")],
  },
};

/** The Acme G2 build leaves out SM2, so CVE-2021-3711 cannot be reached: the vendor says so in its SBOM (VEX). */
const VEX: Record<string, { id: string; component: string; detail: string }[]> = {
  "acme-sm-g2 2.1.7": [{ id: "CVE-2021-3711", component: "openssl", detail: "OpenSSL is built with no-sm2; the SM2 decryption code is not in the firmware." }],
};

interface Cve {
  id: string;
  published: string;
  summary: string;
  cvss: [score: number, vector: string];
  match: { cpe: string; startIncluding?: string; endExcluding?: string; endIncluding?: string; exact?: string }[];
}

const CVES: Cve[] = [
  { id: "CVE-2014-0160", published: "2014-04-07", summary: "Heartbleed: OpenSSL's heartbeat extension reads beyond a buffer and leaks server memory, including private keys, to any peer.", cvss: [7.5, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"], match: [{ cpe: "openssl:openssl", startIncluding: "1.0.1", endExcluding: "1.0.1g" }] },
  { id: "CVE-2021-3711", published: "2021-08-24", summary: "OpenSSL SM2 decryption can overflow a heap buffer with attacker-chosen data.", cvss: [9.8, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], match: [{ cpe: "openssl:openssl", startIncluding: "1.1.1", endExcluding: "1.1.1l" }] },
  { id: "CVE-2022-0778", published: "2022-03-15", summary: "A crafted certificate makes OpenSSL's BN_mod_sqrt() loop forever: a remote denial of service.", cvss: [7.5, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"], match: [{ cpe: "openssl:openssl", startIncluding: "1.0.2", endExcluding: "1.0.2zd" }, { cpe: "openssl:openssl", startIncluding: "1.1.1", endExcluding: "1.1.1n" }, { cpe: "openssl:openssl", startIncluding: "3.0.0", endExcluding: "3.0.2" }] },
  { id: "CVE-2022-37434", published: "2022-08-05", summary: "zlib's inflate overflows a heap buffer when reading a large gzip header extra field.", cvss: [9.8, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], match: [{ cpe: "zlib:zlib", endIncluding: "1.2.12" }] },
  { id: "CVE-2023-4911", published: "2023-10-03", summary: "Looney Tunables: a buffer overflow in glibc's dynamic loader lets a local user become root.", cvss: [7.8, "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"], match: [{ cpe: "gnu:glibc", startIncluding: "2.34", endIncluding: "2.38" }] },
  { id: "CVE-2016-7406", published: "2017-03-07", summary: "A format string flaw in the Dropbear SSH server allows remote code execution.", cvss: [9.8, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], match: [{ cpe: "dropbear_ssh_project:dropbear_ssh", endIncluding: "2016.72" }] },
  { id: "CVE-2017-14491", published: "2017-10-02", summary: "A heap overflow in dnsmasq's DNS handling lets a remote attacker run code on the device.", cvss: [9.8, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], match: [{ cpe: "thekelleys:dnsmasq", endIncluding: "2.77" }] },
  { id: "CVE-2024-3094", published: "2024-03-29", summary: "xz 5.6.0 and 5.6.1 were shipped with a backdoor that targets sshd through liblzma.", cvss: [10.0, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"], match: [{ cpe: "tukaani:xz", exact: "5.6.0" }, { cpe: "tukaani:xz", exact: "5.6.1" }] },
];

/** CISA KEV entries (facts from the catalogue) for the CVEs above that are known to be exploited. */
const KEV = [
  { cveID: "CVE-2014-0160", vendorProject: "OpenSSL", product: "OpenSSL", vulnerabilityName: "OpenSSL Information Disclosure Vulnerability", dateAdded: "2022-05-04", dueDate: "2022-05-25" },
  { cveID: "CVE-2023-4911", vendorProject: "GNU", product: "GNU C Library", vulnerabilityName: "GNU C Library Buffer Overflow Vulnerability", dateAdded: "2023-11-21", dueDate: "2023-12-12" },
];

export interface DemoFirmwareFiles {
  sboms: { file: string; model: string; firmware: string }[];
  advisories: string[];
}

export function writeDemoFirmware(dir: string): DemoFirmwareFiles {
  mkdirSync(join(dir, "sboms"), { recursive: true });
  mkdirSync(join(dir, "advisories"), { recursive: true });
  const sboms: DemoFirmwareFiles["sboms"] = [];
  for (const [model, versions] of Object.entries(FIRMWARE)) {
    for (const [firmware, components] of Object.entries(versions)) {
      const file = join(dir, "sboms", `${model}_${firmware}.cdx.json`);
      const vex = VEX[`${model} ${firmware}`] ?? [];
      const bom = {
        bomFormat: "CycloneDX",
        specVersion: "1.5",
        version: 1,
        metadata: { component: { type: "firmware", name: `${model} firmware`, version: firmware, "bom-ref": "firmware" } },
        components: components.map(([name, version, cpe]) => ({
          type: "library",
          name,
          version,
          "bom-ref": name,
          purl: `pkg:generic/${name}@${version}`,
          ...(cpe ? { cpe: `cpe:2.3:a:${cpe}:${version}:*:*:*:*:*:*:*` } : {}),
        })),
        ...(vex.length ? { vulnerabilities: vex.map((v) => ({ id: v.id, analysis: { state: "not_affected", justification: "code_not_present", detail: v.detail }, affects: [{ ref: v.component }] })) } : {}),
      };
      writeFileSync(file, `${JSON.stringify(bom, null, 2)}\n`);
      sboms.push({ file, model, firmware });
    }
  }
  const nvd = {
    resultsPerPage: CVES.length,
    startIndex: 0,
    totalResults: CVES.length,
    format: "NVD_CVE",
    version: "2.0",
    timestamp: "2026-11-01T00:00:00.000",
    vulnerabilities: CVES.map((c) => ({
      cve: {
        id: c.id,
        published: `${c.published}T00:00:00.000`,
        lastModified: `${c.published}T00:00:00.000`,
        vulnStatus: "Analyzed",
        descriptions: [{ lang: "en", value: c.summary }],
        metrics: { cvssMetricV31: [{ source: "nvd@nist.gov", type: "Primary", cvssData: { version: "3.1", vectorString: c.cvss[1], baseScore: c.cvss[0] } }] },
        configurations: [
          {
            nodes: [
              {
                operator: "OR",
                negate: false,
                cpeMatch: c.match.map((m, i) => ({
                  vulnerable: true,
                  criteria: `cpe:2.3:a:${m.cpe}:${m.exact ?? "*"}:*:*:*:*:*:*:*`,
                  ...(m.startIncluding ? { versionStartIncluding: m.startIncluding } : {}),
                  ...(m.endExcluding ? { versionEndExcluding: m.endExcluding } : {}),
                  ...(m.endIncluding ? { versionEndIncluding: m.endIncluding } : {}),
                  matchCriteriaId: `${c.id}-${i}`,
                })),
              },
            ],
          },
        ],
      },
    })),
  };
  const nvdFile = join(dir, "advisories", "nvdcve-2.0-demo.json");
  writeFileSync(nvdFile, `${JSON.stringify(nvd, null, 2)}\n`);
  const kevFile = join(dir, "advisories", "known_exploited_vulnerabilities.json");
  writeFileSync(
    kevFile,
    `${JSON.stringify({ title: "CISA Catalog of Known Exploited Vulnerabilities (demo excerpt)", catalogVersion: "2026.11.01", dateReleased: "2026-11-01T00:00:00.000Z", count: KEV.length, vulnerabilities: KEV.map((k) => ({ ...k, shortDescription: CVES.find((c) => c.id === k.cveID)!.summary, requiredAction: "Apply updates per vendor instructions.", knownRansomwareCampaignUse: "Unknown", notes: `https://nvd.nist.gov/vuln/detail/${k.cveID}` })) }, null, 2)}\n`,
  );
  return { sboms, advisories: [nvdFile, kevFile] };
}
