/**
 * The order in which dictionary passwords are guessed against a hash, most likely first: the passwords the lists pair
 * with this account's user name, then every password of the Mirai botnet's table, then the rest by how many lists name
 * them. With a budget of a few dozen guesses per bcrypt hash, the order decides what is found.
 */
import type { Dictionary } from "./dictionary.ts";

export function* candidatesFor(dict: Dictionary, username: string): Generator<string> {
  const paired = dict.byUsername.get(username.toLowerCase()) ?? [];
  yield* paired;
  const seen = new Set(paired);
  for (const p of dict.passwords) if (!seen.has(p)) yield p;
}
