/**
 * The crypto policy: versioned data (data/crypto-policy.yaml) saying from when each algorithm family and strength, and
 * each signature hash, is deprecated or disallowed. A user file can override it: its rules come first (so they win)
 * and replace shipped rules with the same id; with `extends: none` it replaces the shipped policy entirely.
 */
import { readFileSync } from "node:fs";
import { readYamlText, yamlProblemText } from "../formats/yaml.ts";
import { z } from "zod";
import { parseIsoDate } from "../core/dates.ts";
import { type Algorithm, ALGORITHM_FAMILIES } from "./algorithms.ts";

const date = z.string().refine((s) => parseIsoDate(s) !== undefined, "is not an ISO 8601 date such as 2036-01-01");

const RuleSchema = z
  .object({
    id: z.string().min(1),
    families: z.array(z.enum(ALGORITHM_FAMILIES)).optional(),
    hashes: z.array(z.string().min(1)).optional(),
    min_strength: z.number().int().min(0).optional(),
    max_strength: z.number().int().min(0).optional(),
    deprecated_from: date.optional(),
    disallowed_from: date.optional(),
    quantum_resistant: z.boolean().optional(),
    source: z.string().optional(),
    note: z.string().optional(),
  })
  .strict()
  .refine((r) => r.families !== undefined || r.hashes !== undefined, "needs families or hashes");

const PolicySchema = z
  .object({
    version: z.union([z.string().min(1), z.number()]).transform(String),
    name: z.string().optional(),
    extends: z.enum(["default", "none"]).optional(),
    sources: z.record(z.string(), z.object({ title: z.string(), url: z.string().optional() }).strict()).optional(),
    rules: z.array(RuleSchema),
  })
  .strict();

export type PolicyRule = z.infer<typeof RuleSchema>;

export interface CryptoPolicy {
  version: string;
  name?: string;
  sources: Record<string, { title: string; url?: string | undefined }>;
  rules: PolicyRule[];
  /** The files it was built from, shipped one first. */
  files: string[];
}

export class PolicyError extends Error {}

const SHIPPED = new URL("../../data/crypto-policy.yaml", import.meta.url);
let shipped: CryptoPolicy | undefined;

export function shippedPolicy(): CryptoPolicy {
  if (!shipped) shipped = readPolicy(SHIPPED.pathname, readFileSync(SHIPPED, "utf8"));
  return shipped;
}

/** The shipped policy, or the shipped one overridden by `file`. */
export function loadCryptoPolicy(file?: string): CryptoPolicy {
  const base = shippedPolicy();
  if (file === undefined) return base;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new PolicyError(`${file}: ${(e as Error).message}`);
  }
  return mergePolicies(base, readPolicy(file, text));
}

function readPolicy(file: string, text: string): CryptoPolicy & { extends?: "default" | "none" } {
  const read = readYamlText(text, { uniqueKeys: false });
  if (!read.ok) throw new PolicyError(yamlProblemText(file, read));
  const raw = read.value;
  const r = PolicySchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new PolicyError(`${file}: ${i.path.length ? i.path.join(".") : "(document)"}: ${i.message}`);
  }
  const p: CryptoPolicy & { extends?: "default" | "none" } = { version: r.data.version, sources: r.data.sources ?? {}, rules: r.data.rules, files: [file] };
  if (r.data.name !== undefined) p.name = r.data.name;
  if (r.data.extends !== undefined) p.extends = r.data.extends;
  return p;
}

function mergePolicies(base: CryptoPolicy, user: CryptoPolicy & { extends?: "default" | "none" }): CryptoPolicy {
  if (user.extends === "none") return { ...user, files: user.files };
  const ids = new Set(user.rules.map((r) => r.id));
  const merged: CryptoPolicy = {
    version: `${user.version} (over ${base.version})`,
    sources: { ...base.sources, ...user.sources },
    rules: [...user.rules, ...base.rules.filter((r) => !ids.has(r.id))],
    files: [...base.files, ...user.files],
  };
  const name = user.name ?? base.name;
  if (name !== undefined) merged.name = name;
  return merged;
}

/** What the policy says about one algorithm or hash. */
export interface Verdict {
  rule?: PolicyRule;
  deprecated_from?: string;
  disallowed_from?: string;
  quantum_resistant?: boolean;
  /** The key size was not given; the latest date of any size is used (“at the latest”). */
  strength_unknown?: boolean;
}

export function judgeAlgorithm(policy: CryptoPolicy, a: Algorithm): Verdict {
  const candidates = policy.rules.filter((r) => r.families?.includes(a.family));
  if (a.strength !== undefined) {
    const r = candidates.find((c) => (c.min_strength === undefined || a.strength! >= c.min_strength) && (c.max_strength === undefined || a.strength! <= c.max_strength));
    return r ? verdict(r) : {};
  }
  // Unknown size: rules without a size bound apply as written; among sized ones, the most lenient (latest date).
  const unsized = candidates.find((c) => c.min_strength === undefined && c.max_strength === undefined);
  if (unsized) return verdict(unsized);
  const sized = [...candidates].sort((x, y) => dateOf(y.disallowed_from) - dateOf(x.disallowed_from))[0];
  return sized ? { ...verdict(sized), strength_unknown: true } : {};
}

export function judgeHash(policy: CryptoPolicy, hash: string): Verdict {
  const h = hash.toLowerCase().replace(/[-_]/g, "");
  const r = policy.rules.find((c) => c.hashes?.some((x) => x.toLowerCase().replace(/[-_]/g, "") === h));
  return r ? verdict(r) : {};
}

function verdict(r: PolicyRule): Verdict {
  const v: Verdict = { rule: r };
  if (r.deprecated_from !== undefined) v.deprecated_from = r.deprecated_from;
  if (r.disallowed_from !== undefined) v.disallowed_from = r.disallowed_from;
  if (r.quantum_resistant !== undefined) v.quantum_resistant = r.quantum_resistant;
  return v;
}

/** Dates sort with "never" last. */
function dateOf(d: string | undefined): number {
  return d === undefined ? Number.POSITIVE_INFINITY : parseIsoDate(d)!;
}
