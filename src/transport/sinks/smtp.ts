/**
 * E-mail sink over SMTP (nodemailer). STARTTLS is used whenever the server offers it, and can be required; the
 * receiver's certificate is checked (its CA can be configured). The mail is the alert as the CLI prints it — what
 * was seen, what to do, where the evidence is — with the evidence as JSON below. SMTP's answer decides: 4xx and
 * connection trouble are retried, 5xx (unknown recipient, refused sender, failed login) is a failure.
 */
import { readFileSync } from "node:fs";
import { createTransport, type Transporter } from "nodemailer";
import { createColors } from "picocolors";
import { z } from "zod";
import { alertBlock } from "../../report/alert-text.ts";
import { PRODUCT } from "../product.ts";
import { SUCCESS, errorText, failure, retryable, type IoResult } from "../result.ts";
import { envName } from "../secret.ts";
import type { AlertNotice, Deliverer } from "./sink.ts";

export const SmtpTargetSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587).describe("587 (submission, STARTTLS) by default; 465 with tls: implicit."),
    tls: z.enum(["starttls", "require-starttls", "implicit", "none"]).default("starttls").describe("starttls: upgrade when the server offers it; require-starttls: refuse to send without it; implicit: TLS from the first byte (port 465); none: never (local relays only)."),
    ca_file: z.string().min(1).optional().describe("PEM file of the CA that signed the server's certificate (the system's CAs otherwise)."),
    username: z.string().min(1).optional(),
    password_env: envName.optional().describe("Environment variable holding the SMTP password."),
    from: z.string().min(3).describe('Sender, e.g. "Longwatch <longwatch@example.com>".'),
    to: z.array(z.string().min(3)).min(1).describe("Recipients."),
    subject_prefix: z.string().default("[Longwatch]"),
  })
  .strict();
export type SmtpTarget = z.infer<typeof SmtpTargetSchema>;

const plain = createColors(false);

export function mailFor(n: AlertNotice, prefix: string): { subject: string; text: string } {
  const a = n.alert;
  const what = n.change === "resolve" ? "resolved: " : n.change === "update" ? "seen again: " : "";
  const subject = `${prefix} ${a.severity.toUpperCase()} ${what}${a.detector} on ${a.device_id}`.replace(/[\r\n]+/g, " ");
  const text = `${alertBlock(a, plain, true)}\n\nState: ${a.state}; verification: ${a.verification}.\n`;
  return { subject, text };
}

export function smtpDeliverer(t: SmtpTarget, password: string | undefined): Deliverer {
  const ca = t.ca_file ? readFileSync(t.ca_file) : undefined;
  const transport: Transporter = createTransport({
    host: t.host,
    port: t.port,
    secure: t.tls === "implicit",
    requireTLS: t.tls === "require-starttls",
    ignoreTLS: t.tls === "none",
    ...(t.username !== undefined ? { auth: { user: t.username, pass: password ?? "" } } : {}),
    tls: { ...(ca ? { ca } : {}), minVersion: "TLSv1.2" },
    pool: true,
    maxConnections: 1,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    type: "smtp",
    async deliver(n, signal): Promise<IoResult> {
      const { subject, text } = mailFor(n, t.subject_prefix);
      if (signal.aborted) return retryable("aborted");
      try {
        await transport.sendMail({ from: t.from, to: t.to, subject, text, headers: { "X-Mailer": `${PRODUCT.product} ${PRODUCT.version}`, "X-Longwatch-Alert": n.alert.id } });
        return SUCCESS;
      } catch (e) {
        const code = (e as { responseCode?: unknown }).responseCode;
        if (typeof code === "number" && code >= 500) return failure(errorText(e));
        return retryable(errorText(e));
      }
    },
    close: () => {
      transport.close();
      return Promise.resolve();
    },
  };
}
