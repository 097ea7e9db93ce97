/**
 * Installed-package lists of Linux firmware without an SBOM: dpkg's `/var/lib/dpkg/status` (Debian, Ubuntu, Yocto with
 * deb packaging) and opkg's `/usr/lib/opkg/status` (OpenWrt, Yocto with ipk). Only packages whose status says
 * `installed` count; removed packages that left their configuration files behind do not.
 */
import type { SbomFormat } from "../core/component.ts";
import { parseStanzas } from "./control-stanzas.ts";
import type { ParsedComponent, SbomParseResult } from "./sbom.ts";

export function parseDpkgStatus(text: string): SbomParseResult {
  return parseStatus(text, "dpkg-status");
}

export function parseOpkgStatus(text: string): SbomParseResult {
  return parseStatus(text, "opkg-status");
}

function parseStatus(text: string, format: SbomFormat): SbomParseResult {
  const { stanzas, issues } = parseStanzas(text);
  const components: ParsedComponent[] = [];
  for (const s of stanzas) {
    const at = `line ${s.line}`;
    const name = s.fields.get("package");
    const version = s.fields.get("version");
    if (!name) {
      issues.push({ line: s.line, column: "Package", reason: "stanza has no Package field", level: "error" });
      continue;
    }
    const status = s.fields.get("status");
    // "install ok installed", "hold ok installed", "install user installed"; the last word is the state.
    if (status !== undefined && status.split(/\s+/).pop() !== "installed") continue;
    if (!version) {
      issues.push({ line: s.line, column: "Version", reason: `package ${name} has no Version field`, level: "error" });
      continue;
    }
    const c: ParsedComponent = { name, version, ecosystem: format === "dpkg-status" ? "deb" : "opkg", at };
    const source = s.fields.get("source");
    if (source) {
      // "Source: openssl" or, when the binary was rebuilt without a new source upload, "Source: openssl (3.0.11-1)".
      const m = /^(\S+)(?:\s+\(([^)]+)\))?$/.exec(source);
      if (m) {
        if (m[1] !== name) c.source_name = m[1]!;
        if (m[2] !== undefined) c.source_version = m[2];
      } else issues.push({ line: s.line, column: "Source", reason: `"${source}" is not "name" or "name (version)"`, level: "warning" });
    }
    const maintainer = s.fields.get("maintainer");
    if (maintainer) c.supplier = maintainer;
    const arch = s.fields.get("architecture");
    if (arch) c.bom_ref = `${name}:${arch}`;
    components.push(c);
  }
  return { format, components, vex: [], issues };
}
