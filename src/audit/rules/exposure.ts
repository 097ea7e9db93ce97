/** Exposure: network services a device offers that should not be there or are unsafe by design. */
import { z } from "zod";
import { SEVERITIES, type Severity } from "../../core/severity.ts";
import { defineRule } from "../rule.ts";

interface Risky {
  severity: Severity;
  ports: number[];
  why: string;
}

/** Services that are unsafe on a field device whatever their configuration, with the usual ports they listen on. */
const RISKY: Record<string, Risky> = {
  telnet: { severity: "high", ports: [23, 2323], why: "remote shell without encryption; the first thing IoT botnets such as Mirai try" },
  adb: { severity: "critical", ports: [5555], why: "Android Debug Bridge gives a root shell to anyone who connects" },
  tftp: { severity: "high", ports: [69], why: "file transfer without any authentication" },
  rlogin: { severity: "high", ports: [513], why: "legacy remote login without encryption" },
  rsh: { severity: "high", ports: [514], why: "legacy remote shell, trusts the caller's address" },
  rexec: { severity: "high", ports: [512], why: "legacy remote execution with cleartext passwords" },
  vnc: { severity: "high", ports: [5900, 5901], why: "remote desktop, often without a password or with weak ones" },
  modbus: { severity: "high", ports: [502], why: "industrial control protocol with no authentication at all" },
  ftp: { severity: "medium", ports: [21], why: "passwords and files travel in cleartext" },
  http: { severity: "medium", ports: [80, 8080], why: "web management without TLS exposes passwords and sessions" },
  snmp: { severity: "medium", ports: [161], why: "SNMP v1/v2c community strings travel in cleartext and often default to public/private" },
  upnp: { severity: "medium", ports: [1900], why: "UPnP lets anything on the network open ports and is abused for DDoS reflection" },
  mqtt: { severity: "medium", ports: [1883], why: "MQTT without TLS exposes credentials and messages" },
  rdp: { severity: "medium", ports: [3389], why: "remote desktop exposed to the network is a frequent brute-force target" },
  coap: { severity: "low", ports: [5683], why: "CoAP without DTLS is unauthenticated and can be used for amplification" },
};

const byPort = new Map<number, string>();
for (const [name, r] of Object.entries(RISKY)) for (const p of r.ports) byPort.set(p, name);

export const insecureService = defineRule({
  id: "insecure-service",
  family: "exposure",
  title: "Insecure network service exposed",
  severity: "high",
  standards: ["ETSI-EN-303-645:5.6-1", "ETSI-EN-303-645:5.5-1", "EU-CRA:I.1.2.j", "OWASP-IoT-2018:I2"],
  rationale:
    "Every network service a device offers is a door. Some services are unsafe by design: they send passwords in cleartext, need no password at all, or are the very ones botnets scan the internet for. A field device should expose nothing it does not need.",
  remediation:
    "Disable the service in the device configuration or firmware. If it is needed, replace it with its secure counterpart (SSH instead of telnet, HTTPS instead of HTTP, SFTP instead of FTP, SNMPv3, MQTT over TLS) and restrict who can reach it (firewall, private APN).",
  params: z
    .object({
      ignore: z.array(z.string()).default([]).describe("Service names to accept, e.g. [http] when HTTP is only on a private network."),
      severity: z.record(z.string(), z.enum(SEVERITIES)).default({}).describe("Override the severity per service name."),
    })
    .strict(),
  start(ctx) {
    const ignore = new Set(ctx.params.ignore.map((s) => s.toLowerCase()));
    return {
      device(v) {
        for (const entry of v.device.open_services ?? []) {
          const [name = "", portText] = entry.split(":");
          const port = portText !== undefined ? Number(portText) : undefined;
          const known = RISKY[name] ? name : port !== undefined ? byPort.get(port) : undefined;
          if (known === undefined || ignore.has(known)) continue;
          const risk = RISKY[known]!;
          ctx.report({
            subject: `${v.device.device_id}\0${known}\0${port ?? ""}`,
            device_id: v.device.device_id,
            severity: ctx.params.severity[known] ?? risk.severity,
            title: `${known} open${port !== undefined ? ` on port ${port}` : ""}`,
            evidence: { service: known, listed_as: entry, port: port ?? null, why: risk.why },
          });
        }
      },
    };
  },
});

export const exposureRules = [insecureService];
