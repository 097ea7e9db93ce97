/**
 * Who may do what in the service: four roles, each including the ones before it. viewer reads; analyst triages
 * alerts and findings; responder may also act on devices (response actions); admin manages tokens, accounts and
 * settings.
 */
export const ROLES = ["viewer", "analyst", "responder", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** Whether `have` is at least `need`. */
export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export function isRole(x: unknown): x is Role {
  return typeof x === "string" && (ROLES as readonly string[]).includes(x);
}
