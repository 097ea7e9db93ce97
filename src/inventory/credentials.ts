/**
 * Imports credentials (CSV, JSON or NDJSON). A plaintext `password` is replaced by the store's keyed digest as soon as
 * the row is read; it is never stored, printed or logged. A `password_hash` must be a crypt(3) hash Longwatch can
 * check; `!` / `*` hashes mark a locked account.
 */
import type { TextEncodingName } from "../formats/text-decode.ts";
import { type Credential, credentialCrossCheck, CredentialInputFieldsSchema, EMPTY_PASSWORD_TOKENS } from "../core/fleet.ts";
import type { InputIssue } from "../core/input-issue.ts";
import type { StoreTx } from "../store/store.ts";
import { classifyHash } from "../audit/credentials/crypt/index.ts";
import type { KeyedDigest } from "./secrets.ts";
import { validateTable } from "./validate-table.ts";

export interface CredentialImportResult {
  file: string;
  imported: number;
  rejected: number;
  warnings: number;
}

export async function importCredentials(opts: {
  store: StoreTx;
  file: string;
  keyedDigest: KeyedDigest;
  onIssue(issue: InputIssue): void;
  /**
   * Leave the "device is not in the inventory" check to the caller's `checkDevices()`: a scan imports credentials
   * before the inventory they belong to, so that the inventory can be audited as it streams in.
   */
  deferDeviceCheck?: boolean;
  /** The file's text encoding (formats/text-decode.ts); detected when not given. */
  encoding?: TextEncodingName;
}): Promise<CredentialImportResult & { checkDevices(store?: StoreTx): Promise<void> }> {
  const result: CredentialImportResult = { file: opts.file, imported: 0, rejected: 0, warnings: 0 };
  const onIssue = (i: InputIssue) => {
    if (i.level === "error") result.rejected++;
    else result.warnings++;
    opts.onIssue(i);
  };
  // Device id → first line naming it, checked against the store at the end (one query per thousand ids).
  const deviceLines = new Map<string, number>();
  const models = new Set((await opts.store.fleet.models()).map((m) => m.model_id));

  const batch: Credential[] = [];
  for await (const rows of validateTable(opts.file, CredentialInputFieldsSchema, credentialCrossCheck, { onIssue, ...(opts.encoding ? { encoding: opts.encoding } : {}) })) {
    for (const { line, value } of rows) {
      let secret: Credential["secret"];
      if (value.password !== undefined) {
        const plain = (EMPTY_PASSWORD_TOKENS as readonly string[]).includes(value.password.trim().toLowerCase()) ? "" : value.password;
        secret = { kind: "keyed", digest: opts.keyedDigest(plain) };
      } else {
        const c = classifyHash(value.password_hash!);
        if ("error" in c) {
          onIssue({ file: opts.file, line, column: "password_hash", reason: c.error, level: "error" });
          continue;
        }
        secret = "locked" in c ? { kind: "locked" } : { kind: "crypt", hash: value.password_hash! };
      }
      const cred: Credential = { service: value.service, username: value.username, secret };
      if (value.device_id !== undefined) {
        cred.device_id = value.device_id;
        if (!deviceLines.has(value.device_id)) deviceLines.set(value.device_id, line);
      } else {
        cred.model_id = value.model_id!;
        if (!models.has(value.model_id!)) onIssue({ file: opts.file, line, column: "model_id", reason: `model "${value.model_id}" is not among the models (stored anyway)`, level: "warning" });
      }
      if (value.firmware_version !== undefined) cred.firmware_version = value.firmware_version;
      batch.push(cred);
    }
    if (batch.length >= 5000) result.imported += await flush(opts.store, batch);
  }
  result.imported += await flush(opts.store, batch);
  // `store`: where the devices are now (e.g. the transaction that imported them).
  const checkDevices = async (store: StoreTx = opts.store) => {
    const known = await store.fleet.knownDevices([...deviceLines.keys()]);
    for (const [id, line] of deviceLines) {
      if (!known.has(id)) onIssue({ file: opts.file, line, column: "device_id", reason: `device "${id}" is not in the inventory (stored anyway)`, level: "warning" });
    }
  };
  if (!opts.deferDeviceCheck) await checkDevices();
  return Object.assign(result, { checkDevices });
}

async function flush(store: StoreTx, batch: Credential[]): Promise<number> {
  const n = batch.length;
  if (n) await store.fleet.upsertCredentials(batch.splice(0));
  return n;
}
