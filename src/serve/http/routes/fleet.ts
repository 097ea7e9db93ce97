/** Devices and device models, read-only (the inventory changes through imports and scans). */
import { z } from "zod";
import { LongwatchError } from "../../../core/errors.ts";
import { DeviceFieldsSchema, DeviceModelSchema } from "../../../core/fleet.ts";
import { COUNT_CAP, defined, keysetList, memoryList, pageQuery, pageSchema } from "../lists.ts";
import { route } from "../route.ts";

const DeviceOut = DeviceFieldsSchema.extend({ cert_fingerprint: z.string().optional().describe("SHA-256 of the device's certificate, when it has one.") }).meta({ id: "Device" });
const ModelOut = DeviceModelSchema.meta({ id: "DeviceModel" });
const DEVICE_COLUMNS = ["device_id", "name", "model_id", "firmware_version", "country", "groups", "ip", "mac", "imei", "iccid", "deployed_at", "retire_at", "cert_fingerprint"];

const DeviceQuery = z.object({
  model_id: z.string().optional(),
  firmware_version: z.string().optional(),
  group: z.string().optional().describe("Devices in this group."),
  country: z.string().optional().describe("ISO 3166-1 alpha-2."),
  provider: z.string().optional().describe("The connectivity provider (sim_provider)."),
  device_id_prefix: z.string().optional().describe("Devices whose id starts with this."),
  missing: z.enum(["firmware_inventory", "certificate", "credentials", "traffic"]).optional().describe("Devices a coverage gap counts: no firmware inventory, certificate, credentials or traffic."),
  sort: z.enum(["device_id", "country", "provider"]).default("device_id"),
  order: z.enum(["asc", "desc"]).optional().describe("Default ascending."),
  ...pageQuery,
});

export const fleetRoutes = [
  route({
    id: "devices.list",
    method: "GET",
    path: "/api/v1/devices",
    role: "viewer",
    tag: "devices",
    summary: "Devices, filtered by model, firmware, group, country, provider, id prefix and coverage gap; paged in the store, or exported whole (CSV, NDJSON)",
    query: DeviceQuery,
    response: pageSchema(DeviceOut, "Device"),
    alsoProduces: ["text/csv", "application/x-ndjson"],
    handler: async (ctx) => {
      const { page_size: _s, page_token: _t, format: _f, country, ...filter } = ctx.query;
      const q = { ...defined(filter), ...(country !== undefined ? { country: country.toUpperCase() } : {}) };
      return keysetList(ctx, "devices", (token, size, withTotal) => ctx.store.lists.devices({ ...q, page_size: size, total_cap: withTotal ? COUNT_CAP : 0, ...(token !== undefined ? { page_token: token } : {}) }), DEVICE_COLUMNS);
    },
  }),
  route({
    id: "devices.get",
    method: "GET",
    path: "/api/v1/devices/{id}",
    role: "viewer",
    tag: "devices",
    summary: "One device",
    params: z.object({ id: z.string().min(1) }),
    response: DeviceOut,
    handler: async (ctx) => {
      const d = await ctx.store.fleet.getDevice(ctx.params.id);
      if (!d) throw new LongwatchError("not_found", `no device ${ctx.params.id}`, { device_id: ctx.params.id });
      return d.device;
    },
  }),
  route({
    id: "models.list",
    method: "GET",
    path: "/api/v1/models",
    role: "viewer",
    tag: "models",
    summary: "Device models, by model_id",
    query: z.object({ manufacturer: z.string().optional(), ...pageQuery }),
    response: pageSchema(ModelOut, "DeviceModel"),
    alsoProduces: ["text/csv", "application/x-ndjson"],
    handler: async (ctx) => {
      const models = (await ctx.store.fleet.models()).filter((m) => ctx.query.manufacturer === undefined || m.manufacturer === ctx.query.manufacturer);
      // A handful of rows: paged in memory; an export is all of them.
      return memoryList(ctx, "models", models, ["model_id", "manufacturer", "name", "hardware_version", "ota_capable", "support_end", "data_only"]);
    },
  }),
  route({
    id: "models.get",
    method: "GET",
    path: "/api/v1/models/{id}",
    role: "viewer",
    tag: "models",
    summary: "One device model",
    params: z.object({ id: z.string().min(1) }),
    response: ModelOut,
    handler: async (ctx) => {
      const m = (await ctx.store.fleet.models()).find((x) => x.model_id === ctx.params.id);
      if (!m) throw new LongwatchError("not_found", `no model ${ctx.params.id}`, { model_id: ctx.params.id });
      return m;
    },
  }),
];
