/** Process exit codes, part of the public contract (docs/formats.md). */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  /** Input had rejected records; everything else was processed. */
  rejected: 3,
  /** A `--fail-on` threshold was reached. */
  threshold: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
