/**
 * Secrets for sinks and sources (webhook HMAC keys, SMTP and broker passwords) are named, not written, in the config
 * file: `secret_env: NAME` reads the environment variable NAME when the sink starts. An inline `secret` is accepted
 * for local tests only. A missing variable is a configuration error that names the key, and the value is never logged.
 */
import { z } from "zod";
import { LongwatchError } from "../core/errors.ts";

export const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "is not an environment variable name");

/** Resolves `<key>` / `<key>_env` to the secret's value, or undefined when neither is set. */
export function resolveSecret(inline: string | undefined, envVar: string | undefined, where: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (envVar !== undefined) {
    const v = env[envVar];
    if (v === undefined || v === "") throw new LongwatchError("invalid_config", `${where}_env names ${envVar}, which is not set in the environment`, { key: `${where}_env`, env: envVar });
    return v;
  }
  return inline;
}
