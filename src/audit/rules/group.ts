/**
 * Collects devices under a key (a model, a model + firmware, a shared certificate …) for rules whose finding is about
 * a group: one finding per group, listing every device in it. Most keys of duplicate-detection rules (IMEIs, client
 * ids) have one device, so a group holds a plain id until a second device joins.
 */
interface Group<T> {
  devices: string | string[];
  info: T;
}

export class DeviceGroups<T = undefined> {
  private readonly groups = new Map<string, Group<T>>();

  /** Adds a device; returns the group's info (the one given when the group was created), for rules that update it. */
  add(key: string, deviceId: string, info: T): T {
    const g = this.groups.get(key);
    if (g) {
      if (typeof g.devices === "string") g.devices = [g.devices, deviceId];
      else g.devices.push(deviceId);
      return g.info;
    }
    this.groups.set(key, { devices: deviceId, info });
    return info;
  }

  /** Groups of at least `minSize` devices, in key order, so reports come out the same on every run. */
  *entries(minSize = 1): IterableIterator<[string, { devices: string[]; info: T }]> {
    const keys: string[] = [];
    for (const [key, g] of this.groups) if ((typeof g.devices === "string" ? 1 : g.devices.length) >= minSize) keys.push(key);
    keys.sort();
    for (const key of keys) {
      const g = this.groups.get(key)!;
      yield [key, { devices: typeof g.devices === "string" ? [g.devices] : g.devices, info: g.info }];
    }
  }
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
