/** `longwatch simulate`: writes labelled fleet traffic with injected attack scenarios and their ground truth. */
import { Option } from "commander";
import { SCENARIO_NAMES, simulate } from "../detect/simulate/index.ts";
import { SCENARIOS } from "../detect/simulate/scenarios.ts";
import type { CommandModule } from "./command.ts";
import { UsageError } from "./context.ts";

export const simulateCommand: CommandModule = {
  register(program, ctx) {
    program
      .command("simulate")
      .description("write realistic, labelled fleet traffic with injected scenarios (for trying and measuring detection)")
      .option("--out <dir>", "folder to write into", "longwatch-sim")
      .option("--devices <n>", "fleet size", "200")
      .option("--hours <n>", "simulated hours (scenarios start three quarters through)", "36")
      .option("--scenarios <list>", `comma-separated: ${SCENARIO_NAMES.join(", ")} (or all, or none)`, "all")
      .option("--seed <n>", "same seed, same traffic", "1")
      .addOption(new Option("--format <format>", "record files as CSV or NDJSON").choices(["csv", "ndjson"]).default("csv"))
      .action((o: { out: string; devices: string; hours: string; scenarios: string; seed: string; format: "csv" | "ndjson" }) => {
        const devices = Number(o.devices);
        const hours = Number(o.hours);
        const seed = Number(o.seed);
        if (!Number.isInteger(devices) || devices < 1) throw new UsageError("--devices: a whole number ≥ 1");
        if (!(hours > 0 && hours <= 24 * 60)) throw new UsageError("--hours: between 0 and 1440");
        if (!Number.isInteger(seed)) throw new UsageError("--seed: a whole number");
        const names = o.scenarios === "all" ? SCENARIO_NAMES : o.scenarios === "none" ? [] : o.scenarios.split(",").map((s) => s.trim()).filter(Boolean);
        for (const n of names) if (!SCENARIOS[n]) throw new UsageError(`--scenarios: no scenario "${n}"; known: ${SCENARIO_NAMES.join(", ")}`);
        let r: ReturnType<typeof simulate>;
        try {
          r = simulate({ dir: o.out, devices, hours, scenarios: names, seed, format: o.format });
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        const total = Object.values(r.records).reduce((a, b) => a + b, 0);
        ctx.out(`Wrote ${total.toLocaleString("en-US")} records (${Object.entries(r.records).map(([k, v]) => `${v.toLocaleString("en-US")} ${k}`).join(", ")}) for ${devices} devices over ${hours} h to ${o.out}/`);
        for (const t of r.truth) ctx.out(`  ${t.scenario.padEnd(13)} ${t.start}  ${t.devices.length > 2 ? `${t.devices.length} devices` : t.devices.join(", ")}: ${t.description}`);
        ctx.out(`Inventory: ${r.inventory?.devices}, ${r.inventory?.models}; ground truth: ${r.truthFile}`);
        ctx.out(`Try: longwatch detect ${r.files.join(" ")} --inventory ${r.inventory?.devices} --models ${r.inventory?.models}`);
      });
  },
};
