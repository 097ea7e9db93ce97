/**
 * Whether a fleet's detection state will fit, said before the work starts rather than found out at the end. State
 * columns are typed arrays outside the JavaScript heap; they grow by doubling, so for a moment while they grow the
 * old and the new arrays both exist. The estimate is therefore twice the state's bytes.
 */
const GiB = 2 ** 30;

/** A warning when `devices` × `bytesPerDevice` (×2 while growing) exceeds `available` bytes; undefined when it fits. */
export function memoryWarning(devices: number, bytesPerDevice: number, available: number): string | undefined {
  const need = devices * bytesPerDevice * 2;
  if (!(need > available)) return undefined;
  const gib = (b: number) => `${(b / GiB).toFixed(1)} GiB`;
  return (
    `detection state for ${devices.toLocaleString("en-US")} devices needs about ${gib(need)} of memory ` +
    `(${Math.round(bytesPerDevice)} bytes per device, twice that while its columns grow), and about ${gib(available)} is available: ` +
    "the run is likely to run out of memory — give it more memory, or split the fleet over threads or workers (detect --workers, docs/scale.md)"
  );
}
