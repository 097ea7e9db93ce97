/** Loads the reference tables detection ships in data/ (see data/README.md), or a user's own files in the same shape. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ReferenceData, TacClass } from "./fleet.ts";

const DATA = fileURLToPath(new URL("../../data/", import.meta.url));

function rows(path: string): string[][] {
  return readFileSync(path, "utf8")
    .split(/\r?\n/)
    .slice(1)
    .filter((l) => l.trim() !== "")
    .map((l) => l.split(",").map((c) => c.trim()));
}

export function loadReference(opts: { tacClasses?: readonly string[] } = {}): ReferenceData {
  const mccCountry = new Map<number, string>();
  for (const [mcc, cc] of rows(`${DATA}mcc-countries.csv`)) if (mcc && cc) mccCountry.set(Number(mcc), cc);
  const tacClass = new Map<number, TacClass>();
  for (const file of [`${DATA}tac-classes.csv`, ...(opts.tacClasses ?? [])]) {
    for (const [tac, cls] of rows(file)) {
      if (!tac || !/^\d{8}$/.test(tac)) continue;
      if (cls !== "module" && cls !== "handset") throw new Error(`${file}: TAC ${tac} has class "${cls}"; use module or handset`);
      tacClass.set(Number(tac), cls);
    }
  }
  return { mccCountry, tacClass };
}
