/** Who Longwatch says it is to peers (CEF header, User-Agent, e-mail X-Mailer). */
import { createRequire } from "node:module";

const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };

export const PRODUCT = { vendor: "Longwatch", product: "Longwatch", version: pkg.version } as const;
