/** Flags `publish` and `worker` share: where the broker is and which stream (docs/scale.md). */
import type { Command } from "commander";
import { DEFAULT_PARTITIONS, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX } from "../scale/partition.ts";
import { UsageError } from "./context.ts";

export interface NatsFlags {
  nats?: string;
  stream: string;
  subjectPrefix: string;
  partitions?: string;
}

export function addNatsFlags(cmd: Command): Command {
  return cmd
    .option("--nats <url>", "NATS server with JetStream, nats://host:port (also LONGWATCH_NATS)")
    .option("--stream <name>", "JetStream stream of the records", DEFAULT_STREAM)
    .option("--subject-prefix <prefix>", "records go to <prefix>.<partition>", DEFAULT_SUBJECT_PREFIX)
    .option("--partitions <n>", `partition count of a new stream (default ${DEFAULT_PARTITIONS}; an existing stream's is read from it)`);
}

export function natsUrl(o: NatsFlags, env: Record<string, string | undefined>): string {
  const url = o.nats ?? env.LONGWATCH_NATS;
  if (!url) throw new UsageError("--nats URL is required (or set LONGWATCH_NATS), e.g. --nats nats://127.0.0.1:4222");
  return url;
}

export function intFlag(flag: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag}: "${v}" is not a whole number from ${min} to ${max}`);
  return n;
}

export function checkStreamNames(o: NatsFlags): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.stream)) throw new UsageError(`--stream: "${o.stream}" must be letters, digits, _ or - (a JetStream stream name)`);
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(o.subjectPrefix)) throw new UsageError(`--subject-prefix: "${o.subjectPrefix}" must be dot-separated tokens of letters, digits, _ or -`);
}
