/** The store contract suite against the SQLite adapter: a fresh file per store. */
import { join } from "node:path";
import { storeContract } from "./contract/index.ts";
import { tmpDir } from "../helpers/tmp.ts";

const t = tmpDir();
let n = 0;
storeContract({ name: "sqlite", freshUrl: async () => `sqlite:${join(t.dir, `store-${++n}`, "longwatch.db")}` });
