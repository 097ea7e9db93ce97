/**
 * Credentials for brokers and provider APIs come from the environment or from a secrets file, never from the store
 * or the config file itself (config files end up in version control). A secrets file is a YAML/JSON map of names to
 * values and must be readable by its owner only (mode 0600): a looser one is refused rather than read.
 * Values are never logged; errors name the reference, not the value.
 */
import { readFileSync, statSync } from "node:fs";
import { readYamlText, yamlProblemText } from "../formats/yaml.ts";
import { z } from "zod";
import { LongwatchError } from "../core/errors.ts";

/** Where a secret comes from: `{ env: NAME }` or `{ secret: KEY }` (a key of the secrets file). */
export const SecretRefSchema = z.union([z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "is not an environment variable name") }).strict(), z.object({ secret: z.string().min(1) }).strict()]);
export type SecretRef = z.infer<typeof SecretRefSchema>;

export interface SecretSource {
  get(ref: SecretRef, what: string): string;
}

function describe(ref: SecretRef): string {
  return "env" in ref ? `environment variable ${ref.env}` : `secret "${ref.secret}" of the secrets file`;
}

/** Reads secrets from `env` and, when given, the secrets file (checked for its mode on first use). */
export function secretSource(env: Record<string, string | undefined>, secretsFile?: string): SecretSource {
  let file: Record<string, unknown> | undefined;
  const loadFile = (): Record<string, unknown> => {
    if (file) return file;
    if (secretsFile === undefined) throw new LongwatchError("invalid_config", "a secret refers to the secrets file, but no secrets_file is configured");
    const st = statSync(secretsFile);
    if ((st.mode & 0o077) !== 0) {
      throw new LongwatchError("invalid_config", `${secretsFile} is readable or writable by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${secretsFile}`, { file: secretsFile });
    }
    // A parse error names the line, never the content: this file holds secrets.
    const read = readYamlText(readFileSync(secretsFile, "utf8"), { uniqueKeys: false });
    if (!read.ok) throw new LongwatchError("invalid_config", yamlProblemText(secretsFile, read), { file: secretsFile, line: read.line });
    const doc = read.value;
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new LongwatchError("invalid_config", `${secretsFile} must be a map of names to values`, { file: secretsFile });
    file = doc as Record<string, unknown>;
    return file;
  };
  return {
    get(ref, what) {
      const value = "env" in ref ? env[ref.env] : loadFile()[ref.secret];
      if (typeof value !== "string" || value === "") throw new LongwatchError("invalid_config", `${what}: ${describe(ref)} is not set`, { secret: describe(ref) });
      return value;
    },
  };
}
