/**
 * What a what-if question names: the secret or node assumed compromised. Written `KIND:ID` on the command line and in
 * the API (`ca:SHA256`, `firmware:MODEL@VERSION`, `endpoint:HOST[:PORT]` …); parsed here once for both.
 */
import { LongwatchError } from "../core/errors.ts";

export const WHATIF_KINDS = ["ca", "cert", "firmware", "component", "credential", "endpoint", "model", "provider"] as const;
export type WhatifKind = (typeof WHATIF_KINDS)[number];

export type WhatifTarget =
  | { kind: "ca"; fingerprint?: string; subject?: string }
  | { kind: "cert"; fingerprint: string }
  | { kind: "firmware"; model: string; version: string }
  | { kind: "component"; purl?: string; name?: string; version?: string }
  | { kind: "credential"; owner: string; ownerIsModel: boolean; service: string; username: string }
  | { kind: "endpoint"; host: string; port?: number }
  | { kind: "model"; model: string }
  | { kind: "provider"; apn?: string; mccmnc?: string };

const bad = (text: string, why: string) => new LongwatchError("invalid_input", `${text}: ${why}`, { target: text });

const sha256 = (s: string) => {
  const h = s.toLowerCase().replaceAll(":", "");
  return /^[0-9a-f]{64}$/.test(h) ? h : undefined;
};

/** Strips a purl's qualifiers and subpath: `pkg:deb/debian/openssl@3.0.11?arch=arm64` names the same component everywhere. */
export function purlBase(purl: string): string {
  return purl.split(/[?#]/)[0]!.toLowerCase();
}

/** A stored component's key: its purl without qualifiers, else name@version, else its name. */
export function componentKey(c: { purl: string | null; name: string; version: string | null }): string {
  return c.purl ? purlBase(c.purl) : c.version !== null ? `${c.name}@${c.version}` : c.name;
}

/** Whether a component (its key: purl without qualifiers, or name@version) is the one a component target names. */
export function componentMatches(t: Extract<WhatifTarget, { kind: "component" }>, key: string, name: string, version: string | undefined): boolean {
  return t.purl !== undefined ? key === t.purl || key.split("@")[0] === t.purl : name.toLowerCase() === t.name!.toLowerCase() && (t.version === undefined || version === t.version);
}

export function parseWhatifTarget(text: string): WhatifTarget {
  const i = text.indexOf(":");
  if (i <= 0) throw bad(text, `write KIND:ID, where KIND is one of ${WHATIF_KINDS.join(", ")}`);
  const kind = text.slice(0, i).toLowerCase();
  const id = text.slice(i + 1).trim();
  if (!id) throw bad(text, "nothing after the colon");
  switch (kind) {
    case "ca": {
      const fp = sha256(id);
      if (fp) return { kind: "ca", fingerprint: fp };
      if (id.includes("=")) return { kind: "ca", subject: id };
      throw bad(text, "a CA is named by the SHA-256 fingerprint of its certificate (64 hex digits) or by its subject (CN=…,O=…)");
    }
    case "cert":
    case "certificate": {
      const fp = sha256(id);
      if (!fp) throw bad(text, "a certificate is named by its SHA-256 fingerprint (64 hex digits)");
      return { kind: "cert", fingerprint: fp };
    }
    case "firmware": {
      const at = id.lastIndexOf("@");
      if (at <= 0 || at === id.length - 1) throw bad(text, "write firmware:MODEL@VERSION");
      return { kind: "firmware", model: id.slice(0, at), version: id.slice(at + 1) };
    }
    case "component": {
      if (id.startsWith("pkg:")) return { kind: "component", purl: purlBase(id) };
      const at = id.lastIndexOf("@");
      return at > 0 ? { kind: "component", name: id.slice(0, at), version: id.slice(at + 1) } : { kind: "component", name: id };
    }
    case "credential": {
      const m = /^(model:)?([^/]+)\/([^/]+)\/(.*)$/.exec(id);
      if (!m) throw bad(text, "write credential:DEVICE/SERVICE/USERNAME (or credential:model:MODEL/SERVICE/USERNAME)");
      return { kind: "credential", owner: m[2]!, ownerIsModel: m[1] !== undefined, service: m[3]!, username: m[4]! };
    }
    case "endpoint": {
      const v6 = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/i.exec(id);
      const m = v6 ?? /^([^:\s]+)(?::(\d{1,5}))?$/.exec(id);
      if (!m) throw bad(text, "write endpoint:HOST or endpoint:HOST:PORT (an IPv6 address in brackets: endpoint:[2001:db8::1]:443)");
      const port = m[2] === undefined ? undefined : Number(m[2]);
      if (port !== undefined && (port < 1 || port > 65535)) throw bad(text, "the port is outside 1-65535");
      return port === undefined ? { kind: "endpoint", host: m[1]!.toLowerCase() } : { kind: "endpoint", host: m[1]!.toLowerCase(), port };
    }
    case "model":
      return { kind: "model", model: id };
    case "provider":
      return /^\d{5,6}$/.test(id) ? { kind: "provider", mccmnc: id } : { kind: "provider", apn: id.toLowerCase() };
    default:
      throw bad(text, `unknown kind "${kind}": one of ${WHATIF_KINDS.join(", ")}`);
  }
}

/** The canonical text of a target (what reports, rankings and findings show, and what parses back to it). */
export function formatWhatifTarget(t: WhatifTarget): string {
  switch (t.kind) {
    case "ca":
      return `ca:${t.fingerprint ?? t.subject}`;
    case "cert":
      return `cert:${t.fingerprint}`;
    case "firmware":
      return `firmware:${t.model}@${t.version}`;
    case "component":
      return `component:${t.purl ?? (t.version !== undefined ? `${t.name}@${t.version}` : t.name)}`;
    case "credential":
      return `credential:${t.ownerIsModel ? "model:" : ""}${t.owner}/${t.service}/${t.username}`;
    case "endpoint":
      return `endpoint:${t.host.includes(":") && t.port !== undefined ? `[${t.host}]` : t.host}${t.port !== undefined ? `:${t.port}` : ""}`;
    case "model":
      return `model:${t.model}`;
    case "provider":
      return `provider:${t.mccmnc ?? t.apn}`;
  }
}
