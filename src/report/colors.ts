import type { createColors } from "picocolors";

/** Colour functions (identity functions when colour is off); created by the CLI from NO_COLOR / TTY. */
export type Colors = ReturnType<typeof createColors>;
