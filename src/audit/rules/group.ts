/**
 * Collects devices under a key (a model, a model + firmware, a shared certificate …) for rules whose finding is about
 * a group: one finding per group, listing every device in it.
 */
export class DeviceGroups<T = undefined> {
  private readonly groups = new Map<string, { devices: string[]; info: T }>();

  /** Adds a device; returns the group's info (the one given when the group was created), for rules that update it. */
  add(key: string, deviceId: string, info: T): T {
    const g = this.groups.get(key);
    if (g) {
      g.devices.push(deviceId);
      return g.info;
    }
    this.groups.set(key, { devices: [deviceId], info });
    return info;
  }

  /** Groups in key order, so reports come out the same on every run. */
  *entries(): IterableIterator<[string, { devices: string[]; info: T }]> {
    for (const key of [...this.groups.keys()].sort()) yield [key, this.groups.get(key)!];
  }
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
