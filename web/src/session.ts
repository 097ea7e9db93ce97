import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Role, Principal } from "./api/types.ts";

const RANK: Record<Role, number> = { viewer: 0, analyst: 1, responder: 2, admin: 3 };

export const SessionContext = createContext<Principal | undefined>(undefined);

export function useSession(): Principal {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in page");
  return session;
}

/** Whether the signed-in role may do what `needed` may: pages hide every control a role cannot use. */
export function useCan(needed: Role): boolean {
  const session = useContext(SessionContext);
  return session !== undefined && RANK[session.role] >= RANK[needed];
}
