/**
 * Reports findings about single credentials at the right scope. A credential imported for one device gives one finding
 * for that device (subject: device + service + user name). A credential declared for a whole model (optionally one
 * firmware version) is one fact about the model, so it gives one group finding listing every device it applies to,
 * rather than thousands of copies of the same finding.
 */
import type { Credential } from "../../core/fleet.ts";
import type { Severity } from "../../core/severity.ts";
import type { FindingDraft } from "../rule.ts";
import { DeviceGroups } from "../rules/group.ts";

export interface CredentialIssue {
  evidence: Record<string, unknown>;
  severity?: Severity;
}

export interface TitleFor {
  /** Title of a finding about one device's account. */
  device(c: Credential, issue: CredentialIssue): string;
  /** Title of a finding about an account every device of a model has. */
  model(c: Credential, issue: CredentialIssue, devices: number): string;
}

export class CredentialFindings {
  private readonly modelGroups = new DeviceGroups<{ credential: Credential; issue: CredentialIssue }>();

  constructor(
    private readonly report: (f: FindingDraft) => void,
    private readonly titles: TitleFor,
  ) {}

  add(deviceId: string, modelId: string | undefined, c: Credential, issue: CredentialIssue): void {
    if (c.device_id === undefined && c.model_id !== undefined) {
      this.modelGroups.add(`${c.model_id}\0${c.firmware_version ?? ""}\0${c.service}\0${c.username}`, deviceId, { credential: c, issue });
      return;
    }
    this.report({
      subject: `${deviceId}\0${c.service}\0${c.username}`,
      device_id: deviceId,
      ...(modelId !== undefined ? { model_id: modelId } : {}),
      title: this.titles.device(c, issue),
      evidence: { service: c.service, username: c.username, scope: "device", ...issue.evidence },
      ...(issue.severity !== undefined ? { severity: issue.severity } : {}),
    });
  }

  finish(): void {
    for (const [key, g] of this.modelGroups.entries()) {
      const { credential: c, issue } = g.info;
      this.report({
        subject: `model\0${key}`,
        model_id: c.model_id!,
        devices: g.devices,
        title: this.titles.model(c, issue, g.devices.length),
        evidence: {
          service: c.service,
          username: c.username,
          scope: "model",
          model_id: c.model_id,
          firmware_version: c.firmware_version ?? null,
          device_count: g.devices.length,
          ...issue.evidence,
        },
        ...(issue.severity !== undefined ? { severity: issue.severity } : {}),
      });
    }
  }
}
