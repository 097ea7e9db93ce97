/**
 * Salt rules shared by the `$id$salt$hash` schemes. Implementations generate salts from the crypt alphabet, and
 * libxcrypt refuses characters that would break the shadow/passwd file format or the `$` field separator, so a
 * stored hash whose salt holds one of those was not made by crypt(3).
 */
export function saltProblem(salt: string, max: number): string | undefined {
  if (salt.length > max) return `has a salt longer than ${max} characters`;
  for (let i = 0; i < salt.length; i++) {
    const c = salt.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x24 /* $ */ || c === 0x3a /* : */ || c === 0x3b /* ; */ || c === 0x2a /* * */ || c === 0x21 /* ! */ || c === 0x5c /* \ */) {
      return "has a character in its salt that crypt(3) does not allow (space, control, $ : ; * ! \\ or non-ASCII)";
    }
  }
  return undefined;
}
