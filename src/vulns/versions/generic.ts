/** The generic scheme lives in core (the audit rules use it too); see core/version.ts and docs/vulns.md. */
export { compareGenericVersions, isOrderableVersion } from "../../core/version.ts";
