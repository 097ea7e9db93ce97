/**
 * Measures one password check per crypt(3) scheme and compares it with the estimates (COST_MS) that the credential
 * rules' guess budgets use. Run: npm run bench:crypt. Record the figures in bench/RESULTS.md with the machine.
 */
import { cpus } from "node:os";
import bcryptjs from "bcryptjs";
import { desCrypt } from "../src/audit/credentials/crypt/descrypt.ts";
import { parseHash } from "../src/audit/credentials/crypt/index.ts";
import { md5Crypt } from "../src/audit/credentials/crypt/md5crypt.ts";
import { shaCrypt } from "../src/audit/credentials/crypt/shacrypt.ts";

const cases: [string, string, number][] = [
  ["des", desCrypt("secret", "ab"), 400],
  ["md5crypt", md5Crypt("secret", "abcdefgh"), 200],
  ["sha256crypt (5000 rounds)", shaCrypt("sha256", "secret", "abcdefghijklmnop"), 40],
  ["sha512crypt (5000 rounds)", shaCrypt("sha512", "secret", "abcdefghijklmnop"), 40],
  ["bcrypt cost 4", bcryptjs.hashSync("secret", 4), 100],
  ["bcrypt cost 10", bcryptjs.hashSync("secret", 10), 8],
];

console.log(`node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"} ×${cpus().length}`);
console.log("scheme                        CPU ms/check   estimate ms   ratio");
for (const [name, hash, n] of cases) {
  const p = parseHash(hash);
  if (!("verify" in p)) throw new Error(`${name}: ${JSON.stringify(p)}`);
  for (let i = 0; i < Math.min(5, n); i++) p.verify(`warm-${i}`);
  // CPU time of this process, not wall time: the figures stay meaningful on a busy shared machine.
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) p.verify(`guess-${i}`);
  const used = process.cpuUsage(t);
  const ms = (used.user + used.system) / 1000 / n;
  console.log(`${name.padEnd(30)}${ms.toFixed(3).padStart(11)}${p.costMs.toFixed(3).padStart(14)}${(ms / p.costMs).toFixed(2).padStart(8)}`);
}
