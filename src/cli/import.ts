/**
 * `longwatch import <kind> FILE…`: loads inputs into the store without scanning. Each kind is its own module that
 * registers a subcommand on the `import` group; add it to `importKinds`.
 */
import type { CommandModule, ImportKind } from "./command.ts";
import { advisoriesImport } from "./import-advisories.ts";
import { fleetImports } from "./import-fleet.ts";
import { sbomImport } from "./import-sbom.ts";
import { mudImport } from "./mud.ts";

const importKinds: ImportKind[] = [fleetImports, sbomImport, advisoriesImport, mudImport];

export const importCommand: CommandModule = {
  register(program, ctx) {
    const group = program.command("import").description("load inventories, models, credentials, SBOMs or advisories into the store");
    for (const k of importKinds) k.register(group, ctx);
  },
};
