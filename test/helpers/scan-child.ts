/**
 * A chunked scan (the service's kind) in a process of its own, for tests that kill it mid-scan:
 *   node --import tsx scan-child.ts STORE_URL DATA_DIR
 */
import { allRules } from "../../src/audit/rules/index.ts";
import { runScan } from "../../src/audit/scan.ts";
import { keyedDigester, loadSecretKey } from "../../src/inventory/secrets.ts";
import { openStore } from "../../src/store/open.ts";

const [url, data] = process.argv.slice(2);
const store = await openStore(url!);
await runScan({ store, rules: allRules, now: Date.parse("2026-11-25T12:00:00Z"), keyedDigest: keyedDigester(loadSecretKey(data!)), onIssue: () => undefined, chunked: true });
await store.close();
