/**
 * Loads the certificate files an inventory names. Paths are relative to the inventory and may not leave its folder
 * (an inventory must not make Longwatch read arbitrary files); files are capped in size; each path is read and
 * parsed once however many devices name it.
 */
import { lstatSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import type { CertificateInfo } from "../core/fleet.ts";

/** Parses a certificate file's bytes: PEM text or binary DER (formats/x509.ts parseCertificateFile). */
export type ParseCertificate = (bytes: Uint8Array) => { certificate: CertificateInfo; warnings?: string[] } | { error: string };

export type LoadResult = { fingerprint: string; warnings?: string[] } | { error: string };

export interface CertificateLoader {
  /** The certificate's fingerprint (with warnings about the rest of the file), or why it could not be read. */
  load(certFile: string, baseDir: string): LoadResult;
  /** Certificates parsed since the last call, to be stored. */
  drain(): CertificateInfo[];
}

const MAX_BYTES = 1 << 20;

export function certificateLoader(parse: ParseCertificate, opts: { allowOutside?: boolean } = {}): CertificateLoader {
  const byPath = new Map<string, LoadResult>();
  // Resolving symlinks walks every path component; certificates sit in a few folders, so resolve each folder once.
  const realDirs = new Map<string, string | undefined>();
  const realDir = (dir: string) => {
    if (!realDirs.has(dir)) {
      let real: string | undefined;
      try {
        real = realpathSync(dir);
      } catch {
        real = undefined;
      }
      realDirs.set(dir, real);
    }
    return realDirs.get(dir);
  };
  let fresh: CertificateInfo[] = [];
  const seen = new Set<string>();
  return {
    load(certFile, baseDir) {
      const path = resolve(baseDir, certFile);
      const cached = byPath.get(path);
      if (cached) return cached;
      const r = readAndParse(path, certFile, realDir(baseDir), realDir(dirname(path)), parse, opts.allowOutside === true);
      if ("certificate" in r) {
        if (!seen.has(r.certificate.fingerprint)) {
          seen.add(r.certificate.fingerprint);
          fresh.push(r.certificate);
        }
        const ok: LoadResult = r.warnings?.length ? { fingerprint: r.certificate.fingerprint, warnings: r.warnings.map((w) => `certificate file ${certFile}: ${w}`) } : { fingerprint: r.certificate.fingerprint };
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

function readAndParse(path: string, certFile: string, root: string | undefined, folder: string | undefined, parse: ParseCertificate, allowOutside: boolean): ReturnType<ParseCertificate> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return { error: `certificate file ${certFile} not found` };
  }
  // A symlinked file is resolved in full; otherwise its folder's real path says where it is.
  let real: string;
  try {
    real = st.isSymbolicLink() ? realpathSync(path) : resolve(folder ?? realpathSync(dirname(path)), path.slice(dirname(path).length + 1));
  } catch {
    return { error: `certificate file ${certFile} not found` };
  }
  if (!allowOutside && root !== undefined) {
    const rel = relative(root, real);
    if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) {
      return { error: `certificate file ${certFile} is outside the inventory's folder (use --allow-outside-certs to permit)` };
    }
  }
  if (st.isSymbolicLink()) st = statSync(real);
  if (!st.isFile()) return { error: `certificate file ${certFile} is not a file` };
  if (st.size > MAX_BYTES) return { error: `certificate file ${certFile} is larger than 1 MiB` };
  const r = parse(readFileSync(real));
  return "error" in r ? { error: `certificate file ${certFile}: ${r.error}` } : r;
}
