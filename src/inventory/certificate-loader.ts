/**
 * Loads the certificate files an inventory names. Paths are relative to the inventory and may not leave its folder
 * (an inventory must not make Longwatch read arbitrary files); files are capped in size; each path is read and
 * parsed once however many devices name it.
 */
import { readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { CertificateInfo } from "../core/fleet.ts";

export type ParseCertificate = (pem: string) => { certificate: CertificateInfo } | { error: string };

export interface CertificateLoader {
  load(certFile: string, baseDir: string): { fingerprint: string } | { error: string };
  /** Certificates parsed since the last call, to be stored. */
  drain(): CertificateInfo[];
}

const MAX_BYTES = 1 << 20;

export function certificateLoader(parse: ParseCertificate, opts: { allowOutside?: boolean } = {}): CertificateLoader {
  const byPath = new Map<string, { fingerprint: string } | { error: string }>();
  let fresh: CertificateInfo[] = [];
  const seen = new Set<string>();
  return {
    load(certFile, baseDir) {
      const path = resolve(baseDir, certFile);
      const cached = byPath.get(path);
      if (cached) return cached;
      const r = readAndParse(path, certFile, baseDir, parse, opts.allowOutside === true);
      if ("certificate" in r) {
        if (!seen.has(r.certificate.fingerprint)) {
          seen.add(r.certificate.fingerprint);
          fresh.push(r.certificate);
        }
        const ok = { fingerprint: r.certificate.fingerprint };
        byPath.set(path, ok);
        return ok;
      }
      byPath.set(path, r);
      return r;
    },
    drain() {
      const out = fresh;
      fresh = [];
      return out;
    },
  };
}

function readAndParse(path: string, certFile: string, baseDir: string, parse: ParseCertificate, allowOutside: boolean): { certificate: CertificateInfo } | { error: string } {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return { error: `certificate file ${certFile} not found` };
  }
  if (!allowOutside) {
    const root = realpathSync(baseDir);
    const rel = relative(root, real);
    if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) {
      return { error: `certificate file ${certFile} is outside the inventory's folder (use --allow-outside-certs to permit)` };
    }
  }
  const st = statSync(real);
  if (!st.isFile()) return { error: `certificate file ${certFile} is not a file` };
  if (st.size > MAX_BYTES) return { error: `certificate file ${certFile} is larger than 1 MiB` };
  const r = parse(readFileSync(real, "latin1"));
  return "error" in r ? { error: `certificate file ${certFile}: ${r.error}` } : r;
}
