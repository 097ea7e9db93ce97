/**
 * Rule parameters that name files (a crypto policy, extra dictionaries). They are marked where the rule declares
 * them, so the config reader can resolve them against the config file's folder without knowing any rule.
 */
import type { z } from "zod";

const FILE_PARAMS = new WeakSet<z.ZodType>();

/** Marks a parameter schema as naming a file (or a list of files). */
export function fileParam<T extends z.ZodType>(schema: T): T {
  FILE_PARAMS.add(schema);
  return schema;
}

/** The names of a rule's parameters that name files. */
export function fileParamNames(params: z.ZodType): string[] {
  const shape = (params as { shape?: Record<string, z.ZodType> }).shape;
  return shape ? Object.entries(shape).filter(([, s]) => FILE_PARAMS.has(s)).map(([k]) => k) : [];
}
