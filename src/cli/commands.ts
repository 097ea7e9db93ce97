/** Every CLI command; a new command is one file plus one line here. */
import type { CommandModule } from "./command.ts";
import { importCommand } from "./import.ts";
import { rulesCommand } from "./rules.ts";
import { vulnsCommand } from "./vulns.ts";

export const commands: CommandModule[] = [importCommand, rulesCommand, vulnsCommand];
