/**
 * Real certificates for tests, made with the openssl command line in a temporary folder: keys of every type, self-signed
 * certificates, a CA that issues leaves, and exact validity dates through `openssl ca` (OpenSSL 3.0's `req`/`x509`
 * cannot backdate).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type KeySpec =
  | { type: "rsa"; bits: number }
  | { type: "rsa-pss"; bits: number }
  | { type: "ec"; curve: string }
  | { type: "dsa"; bits: number }
  | { type: "ed25519" }
  | { type: "ed448" };

export interface IssueOptions {
  /** Distinguished name in openssl's `/CN=x/O=y` form. */
  subject: string;
  digest?: string;
  /** Exact validity, `YYYYMMDDHHMMSSZ`; otherwise `days` from now (default 365). */
  startdate?: string;
  enddate?: string;
  days?: number;
  ca?: boolean;
  /** Extra `-sigopt` values, e.g. `rsa_padding_mode:pss`. */
  sigopts?: string[];
  /** Read `+` in the subject as joining attributes into one RDN (`-multivalue-rdn`). */
  multivalueRdn?: boolean;
}

export interface Issued {
  pem: string;
  keyPath: string;
  certPath: string;
}

export class OpenSsl {
  readonly dir = mkdtempSync(join(tmpdir(), "longwatch-x509-"));
  private n = 0;

  run(args: string[]): string {
    return execFileSync("openssl", args, { cwd: this.dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }

  runBinary(args: string[]): Buffer {
    return execFileSync("openssl", args, { cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] });
  }

  private path(stem: string): string {
    return join(this.dir, `${stem}-${++this.n}`);
  }

  key(spec: KeySpec): string {
    const out = `${this.path(spec.type)}.key`;
    switch (spec.type) {
      case "rsa":
      case "rsa-pss":
        this.run(["genpkey", "-algorithm", spec.type === "rsa" ? "RSA" : "RSA-PSS", "-pkeyopt", `rsa_keygen_bits:${spec.bits}`, "-out", out]);
        break;
      case "ec":
        this.run(["genpkey", "-algorithm", "EC", "-pkeyopt", `ec_paramgen_curve:${spec.curve}`, "-out", out]);
        break;
      case "dsa": {
        const params = `${out}.params`;
        this.run(["genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt", `dsa_paramgen_bits:${spec.bits}`, "-out", params]);
        this.run(["genpkey", "-paramfile", params, "-out", out]);
        break;
      }
      case "ed25519":
      case "ed448":
        this.run(["genpkey", "-algorithm", spec.type.toUpperCase(), "-out", out]);
        break;
    }
    return out;
  }

  /** A self-signed certificate over `keyPath`. */
  selfSigned(keyPath: string, o: IssueOptions): Issued {
    const certPath = `${this.path("self")}.pem`;
    if (o.startdate !== undefined) {
      const csr = this.csr(keyPath, o.subject);
      this.ca(["-selfsign", "-keyfile", keyPath, "-in", csr, "-out", certPath], o);
    } else {
      this.run(["req", "-x509", "-new", "-key", keyPath, "-subj", o.subject, "-days", String(o.days ?? 365), "-utf8", "-out", certPath, ...this.digest(o), ...this.extensions(o, "req"), ...this.sigopts(o), ...(o.multivalueRdn ? ["-multivalue-rdn"] : [])]);
    }
    return { pem: readFileSync(certPath, "utf8"), keyPath, certPath };
  }

  /** A certificate for `keyPath` issued by `issuer`. */
  issue(issuer: Issued, keyPath: string, o: IssueOptions): Issued {
    const certPath = `${this.path("leaf")}.pem`;
    const csr = this.csr(keyPath, o.subject);
    if (o.startdate !== undefined) {
      this.ca(["-cert", issuer.certPath, "-keyfile", issuer.keyPath, "-in", csr, "-out", certPath], o);
    } else {
      this.run(["x509", "-req", "-in", csr, "-CA", issuer.certPath, "-CAkey", issuer.keyPath, "-CAcreateserial", "-days", String(o.days ?? 365), "-out", certPath, ...this.digest(o), ...this.extensions(o, "x509"), ...this.sigopts(o)]);
    }
    return { pem: readFileSync(certPath, "utf8"), keyPath, certPath };
  }

  /** Field-by-field view of a certificate as openssl prints it, for comparisons. */
  text(certPath: string): string {
    return this.run(["x509", "-in", certPath, "-noout", "-text"]);
  }

  /** Subject or issuer as openssl writes RFC 2253/4514 names (UTF-8 left as is). */
  name(certPath: string, which: "subject" | "issuer"): string {
    return this.run(["x509", "-in", certPath, "-noout", `-${which}`, "-nameopt", "RFC2253", "-nameopt", "-esc_msb"]).replace(/\n$/, "").replace(/^(subject|issuer)=/, "");
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A certificate request; its own signature only proves possession of the key, so its digest does not matter. */
  private csr(keyPath: string, subject: string): string {
    const csr = `${this.path("csr")}.csr`;
    this.run(["req", "-new", "-utf8", "-key", keyPath, "-subj", subject, "-out", csr]);
    return csr;
  }

  private digest(o: IssueOptions): string[] {
    return o.digest !== undefined ? [`-${o.digest}`] : [];
  }

  private sigopts(o: IssueOptions): string[] {
    return (o.sigopts ?? []).flatMap((s) => ["-sigopt", s]);
  }

  private extensions(o: IssueOptions, cmd: "req" | "x509"): string[] {
    const value = o.ca ? "critical,CA:TRUE" : "CA:FALSE";
    // `req -x509` adds CA:TRUE by default; say what we mean in both cases.
    return cmd === "req" ? ["-addext", `basicConstraints=${value}`] : ["-extfile", this.extFile(value)];
  }

  private extFile(basicConstraints: string): string {
    const f = `${this.path("ext")}.cnf`;
    writeFileSync(f, `basicConstraints=${basicConstraints}\n`);
    return f;
  }

  /** `openssl ca` with a throwaway database: the one way in OpenSSL 3.0 to set exact start and end dates. */
  private ca(args: string[], o: IssueOptions): void {
    const base = this.path("ca");
    mkdirSync(`${base}.certs`);
    writeFileSync(`${base}.index`, "");
    writeFileSync(`${base}.serial`, "1000\n");
    writeFileSync(
      `${base}.cnf`,
      [
        "[ca]",
        "default_ca = lw",
        "[lw]",
        `database = ${base}.index`,
        `new_certs_dir = ${base}.certs`,
        `serial = ${base}.serial`,
        "policy = any",
        "unique_subject = no",
        "email_in_dn = no",
        "[any]",
        "commonName = optional",
        "organizationName = optional",
        "[ext]",
        `basicConstraints = ${o.ca ? "critical,CA:TRUE" : "CA:FALSE"}`,
        "",
      ].join("\n"),
    );
    const dates = ["-startdate", o.startdate!, "-enddate", o.enddate ?? "20991231235959Z"];
    this.run(["ca", "-batch", "-notext", "-config", `${base}.cnf`, "-extensions", "ext", "-md", o.digest ?? "default", ...dates, ...this.sigopts(o), ...args]);
  }
}
