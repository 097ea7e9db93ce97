// Generated from docs/openapi.json by `npm run gen:openapi` (scripts/openapi-types.ts). Do not edit.

export type ActionPlan = {
  summary: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown>;
  noop: boolean;
  warnings: string[];
};

export type Alert = {
  /** Stable id: the same input gives the same id. */
  id: string;
  detector: "volume-anomaly" | "new-destination" | "horizontal-scan" | "vertical-scan" | "beaconing" | "ddos-participation" | "sim-swap" | "unexpected-network" | "impossible-travel" | "sms-on-data-sim" | "auth-failure-burst" | "connect-storm" | "disconnect-storm" | "device-silent" | "fleet-campaign" | "undeclared-flow" | "data-residency" | "location-to-third-party" | "mud-violation" | "watchlist-hit";
  device_id: string;
  model_id?: string;
  /** What the alert is about within its detector and device (a metric, a destination …); alerts are deduplicated on it. */
  key: string;
  severity: "critical" | "high" | "medium" | "low" | "info";
  confidence: number;
  /** ISO 8601 event time of the first record that raised it. */
  first_seen: string;
  last_seen: string;
  /** How many times the condition was seen while the alert was open. */
  count: number;
  /** What was seen and how unusual it is, in one or two sentences. */
  summary: string;
  /** What to do about it. */
  action: string;
  /** What was seen (records with file:line) and the baseline it was compared with. */
  evidence: Record<string, unknown>;
  state: "open" | "acknowledged" | "resolved";
  verification: "unknown" | "true_positive" | "benign_positive" | "false_positive";
  /** Who is looking after it (set by people, never by detection). */
  assignee?: string;
};

export type AlertActionBody = {
  comment?: string;
};

export type AlertAssignBody = {
  /** null: to nobody. */
  assignee: string | null;
  comment?: string;
};

export type AlertBulkBody = {
  ids: string[];
  action: "ack" | "resolve" | "reopen" | "verify" | "assign" | "comment";
  verification?: "unknown" | "true_positive" | "benign_positive" | "false_positive";
  assignee?: string | null;
  comment?: string;
};

export type AlertBulkResult = {
  changed: Alert[];
  missing: string[];
};

export type AlertCommentBody = {
  comment: string;
};

export type AlertEvent = {
  id: number;
  alert_id: string;
  at: string;
  actor: string;
  action: "state" | "verification" | "assignee" | "comment";
  from?: string;
  to?: string;
  comment?: string;
};

export type AlertPage = {
  items: Alert[];
  next_page_token: string | null;
  total: Total;
};

export type AlertSeries = {
  /** The evidence field drawn (null: the detector reports no number; occurrences are counted). */
  measure: string | null;
  unit: string;
  /** What the device usually does (its learned expectation). */
  baseline: number | null;
  /** The usual upper bound (or the limit) above which it alerts. */
  high: number | null;
  /** This alert's value over the baseline. */
  ratio: number | null;
  /** This alert and the device's earlier alerts of the same detector in the 30 days before, oldest first. */
  points: ({
    alert_id: string;
    at: string;
    value: number;
    /** The record that raised it (file:line). */
    record?: string;
  })[];
};

export type AlertSuppression = {
  id: number;
  detector: string;
  device_id?: string;
  key?: string;
  reason: string;
  expires?: string;
  created_at: string;
};

export type AlertSuppressionPage = {
  items: AlertSuppression[];
  next_page_token: string | null;
  total: Total;
};

export type AlertVerifyBody = {
  verification: "unknown" | "true_positive" | "benign_positive" | "false_positive";
  comment?: string;
};

export type ApiToken = {
  id: string;
  name: string;
  role: "viewer" | "analyst" | "responder" | "admin";
  /** The token's visible start, to tell tokens apart. */
  prefix: string;
  created_at: string;
  created_by: string;
  expires_at?: string;
  /** Updated at most once a minute. */
  last_used_at?: string;
  revoked_at?: string;
};

export type ApiTokenPage = {
  items: ApiToken[];
  next_page_token: string | null;
  total: Total;
};

export type Assessment = {
  id: number;
  model_id: string;
  standard: string;
  created_at: string;
  doc: unknown;
};

export type AssessmentInfo = {
  id: number;
  model_id: string;
  standard: string;
  created_at: string;
};

export type AssessmentInfoPage = {
  items: AssessmentInfo[];
  next_page_token: string | null;
  total: Total;
};

export type AuditEntry = {
  seq: number;
  at: string;
  actor: string;
  actor_kind: "token" | "account" | "system";
  role?: "viewer" | "analyst" | "responder" | "admin";
  /** The operation, e.g. alerts.ack or tokens.create. */
  action: string;
  target_kind: string;
  target_id?: string;
  before?: unknown;
  after?: unknown;
  request_id?: string;
  source_ip?: string;
};

export type AuditEntryPage = {
  items: AuditEntry[];
  next_page_token: string | null;
  total: Total;
};

export type AutomaticResponse = {
  /** respond.automatic.enabled: whether automatic playbooks may apply at all */
  enabled: boolean;
  paused: boolean;
  paused_by?: string;
  paused_at?: string;
  reason?: string;
  budget: {
    devices: number;
    per_seconds: number;
    /** Devices changed automatically in the last per_seconds */
    used: number;
  };
  ttl_seconds: number;
  sweep_every_seconds: number;
  playbooks: ({
    name: string;
    mode: "propose" | "automatic";
    action: string;
    detector?: string[];
    rule?: string[];
    severity: string;
  })[];
};

export type CertificateDetail = {
  device_id: string;
  certificate: {
    fingerprint: string;
    subject: string;
    issuer: string;
    serial: string;
    not_before: string;
    not_after: string;
    key_type: string;
    key_bits: number;
    curve?: string;
    sig_alg: string;
    sig_hash: string;
    self_issued: boolean;
    self_signed: boolean;
    is_ca: boolean;
    /** The RSA modulus carries the ROCA (CVE-2017-15361) fingerprint: the private key can be recovered. */
    roca: boolean;
    chain_length: number;
    issuer_not_after?: string;
    /** What `whatif compromise ca:` names. */
    issuer_fingerprint?: string;
    /** Equal on two certificates: the same key pair. */
    key_fingerprint?: string;
    version?: number;
  };
  /** Days from now to not_after (negative: expired). */
  expires_in_days: number;
  issuer_expires_in_days?: number;
  /** The earliest of certificate expiry, CA expiry, support end and the crypto policy disallowing an algorithm the device uses. */
  secure_until?: string;
  /** What ends first. */
  limiting?: {
    kind: string;
    at: string;
    detail: string;
  };
  limits: ({
    kind: "certificate" | "issuer_certificate" | "support" | "crypto";
    at: string;
    detail: string;
  })[];
  /** The certificate's key and signature hash, and the model's declared algorithms, judged by the shipped crypto policy. */
  algorithms: ({
    name: string;
    role: "key_exchange" | "signature" | "certificate_key" | "certificate_signature_hash";
    /** Security strength in bits. */
    strength?: number;
    quantum_vulnerable: boolean;
    deprecated_from?: string;
    disallowed_from?: string;
    /** Where the policy's date comes from (NIST SP 800-131A, NIST IR 8547 …). */
    source?: string;
  })[];
  policy_version: string;
};

export type CompromiseReport = {
  target: string;
  fleet_devices: number;
  affected: {
    devices: number;
    share: number;
    [field: string]: unknown;
  };
  [field: string]: unknown;
};

/** What Longwatch cannot see: a missing finding is not a clean result. */
export type Coverage = {
  devices: number;
  /** Devices whose firmware has no component inventory: vulnerable components cannot be found. */
  no_firmware_inventory: number;
  no_certificate: number;
  no_credentials: number;
  /** Devices detection has seen nothing from. */
  no_traffic: number;
};

export type CreatedApiToken = {
  /** The token itself: shown only in this answer. */
  token: string;
  record: ApiToken;
};

export type DeadLetter = {
  id: number;
  sink: string;
  sink_type: string;
  alert_id: string;
  /** open, update or resolve: what the sink was told */
  change: string;
  reason: "failed" | "retries_exhausted" | "queue_full" | "shutdown";
  /** The last error the peer gave */
  error?: string;
  attempts: number;
  at: string;
  /** The alert as the sink would have sent it */
  alert: unknown;
};

export type DeadLetterPage = {
  items: DeadLetter[];
  next_page_token: string | null;
  total: Total;
};

export type Device = {
  /** Unique device identifier (required). */
  device_id: string;
  name?: string;
  serial?: string;
  /** MAC address in any common spelling; stored as aa:bb:cc:dd:ee:ff. */
  mac?: unknown;
  ip?: string;
  /** Refers to a device model's model_id. */
  model_id?: string;
  firmware_version?: string;
  /** IMEI: 15 digits with check digit, 14 without, or the 16-digit IMEISV. */
  imei?: string;
  iccid?: string;
  imsi?: string;
  msisdn?: string;
  mqtt_client_id?: string;
  deployed_at?: string;
  /** Planned retirement date; or give field_life_years. */
  retire_at?: string;
  field_life_years?: number;
  /** ISO 3166-1 alpha-2 country where the device is installed. */
  country?: string;
  groups?: string[];
  /** Path of the device's PEM certificate, relative to the inventory file. */
  cert_file?: string;
  /** Listening services as name:port, e.g. telnet:23. */
  open_services?: unknown[];
  sim_imei_lock?: boolean;
  sim_sms_enabled?: boolean;
  sim_public_ip?: boolean;
  /** Countries the SIM may attach in, or * for unrestricted. */
  sim_allowed_countries?: string[];
  sim_apn?: string;
  /** Connectivity provider of the SIM (e.g. 1NCE, emnify): device lists filter and group by it. */
  sim_provider?: string;
  /** SHA-256 of the device's certificate, when it has one. */
  cert_fingerprint?: string;
};

export type DeviceComponentPage = {
  device_id: string;
  model_id: string | null;
  firmware_version: string | null;
  /** The image's component inventory; null when none was imported (longwatch import sbom): then nothing can be said about its components. */
  sbom: {
    format: string;
    source: string;
    imported_at: string;
    component_count: number;
  } | null;
  /** vulnerable-component's settings the page grades with, so it agrees with the scan's findings. */
  grading: {
    /** The scan whose stored settings grade the vulnerabilities; null: none ran vulnerable-component, its defaults are used. */
    scan_id: number | null;
    epss_raise_at: number;
    min_severity: "critical" | "high" | "medium" | "low" | "info";
    /** The severity set for the rule, which every finding of it takes. */
    severity?: "critical" | "high" | "medium" | "low" | "info";
  };
  /** Components with a vulnerability that applies, in the whole image. */
  vulnerable_components: number;
  /** Vulnerabilities that apply (not VEX not_affected), in the whole image. */
  vulnerabilities: number;
  /** Of them, in the KEV catalogue. */
  known_exploited: number;
  items: ({
    name: string;
    version?: string;
    purl?: string;
    cpe?: string;
    /** The firmware image itself (advisories about the device product). */
    firmware?: boolean;
    /** The most severe vulnerability that applies (not VEX not_affected); absent when none. */
    severity?: "critical" | "high" | "medium" | "low" | "info";
    vulnerabilities: ({
      /** The CVE when there is one, else the advisory's id. */
      vuln_id: string;
      aliases: string[];
      summary?: string;
      /** As vulnerable-component grades it with the settings of the newest scan that ran it (`grading`): the severity set for the rule when there is one, else critical when known exploited (KEV), at least high at EPSS ≥ epss_raise_at, else the advisory's. */
      severity: "critical" | "high" | "medium" | "low" | "info";
      /** Why it is graded other than the advisory's own severity. */
      severity_raised?: string;
      /** Graded below the rule's min_severity: the scan makes no finding of it. */
      below_min_severity?: true;
      cvss?: {
        version: string;
        score: number;
        vector?: string;
      };
      /** In CISA's Known Exploited Vulnerabilities catalogue. */
      kev?: {
        date_added?: string;
        due_date?: string;
        required_action?: string;
        known_ransomware?: string;
      };
      /** Probability of exploitation in the next 30 days (FIRST EPSS). */
      epss?: {
        epss: number;
        percentile: number;
        date?: string;
      };
      fixed_in?: string;
      /** A VEX statement says it does not apply here (not_affected or fixed). */
      not_affected?: {
        status: string;
        justification?: string;
        source: string;
      };
      /** How it matched: the key and the version range the component's version fell in. */
      because: string;
      references: string[];
    })[];
  })[];
  next_page_token: string | null;
  total: {
    count: number;
    type: "exact";
  };
};

export type DeviceModel = {
  model_id: string;
  manufacturer?: string;
  name?: string;
  hardware_version?: string;
  /** Firmware can be updated over the air. */
  ota_capable?: boolean;
  /** End of the defined support period (security updates). */
  support_end?: string;
  vuln_disclosure_url?: string;
  /** Uses no voice or SMS. */
  data_only?: boolean;
  crypto?: {
    /** e.g. ecdh-p256, x25519, rsa-2048, dh-2048, ml-kem-768, psk */
    key_exchange?: string[];
    /** e.g. ecdsa-p256, rsa-2048, ed25519, ml-dsa-65 */
    signature?: string[];
    /** Algorithms can be replaced in the field. */
    agile?: boolean;
    secure_element?: boolean;
  };
  /** Newest firmware released for this model. */
  latest_firmware?: string;
  latest_firmware_date?: string;
  /** Default planned field life of its devices. */
  field_life_years?: number;
  /** Resource-constrained device (ETSI EN 303 645 sense). */
  constrained?: boolean;
  /** Declared data flows (docs/privacy.md); or in a flows.yaml beside models.yaml. */
  flows?: {
    /** The model's MUD URL. */
    mud_url?: string;
    /** Domains of the maker: destinations under them are first party (and MUD same-manufacturer). */
    first_party_domains: unknown[];
    /** What the device's data is by default (e.g. [location] for a tracker). */
    personal_data: ("personal" | "location" | "pseudonymous" | "none")[];
    /** Where personal data may go by default. */
    jurisdictions: string[];
    retention?: string;
    /** What MUD controller classes stand for here: controller URI (or my-controller) → names or CIDR blocks. */
    controllers: Record<string, (unknown | string)[]>;
    destinations: ({
      /** What the destination is, for people (e.g. 'telemetry broker'). */
      name?: string;
      /** Exact DNS name; `*.example.com` matches its subdomains only. */
      host?: unknown;
      /** A domain and every name under it. */
      domain?: unknown;
      /** Address or CIDR block. */
      cidr?: string;
      /** A MUD class instead of an address: controller, my-controller, local-networks, same-manufacturer, manufacturer. */
      class?: "controller" | "my-controller" | "local-networks" | "same-manufacturer" | "manufacturer";
      /** For class controller: the controller URI (e.g. urn:ietf:params:mud:ntp); for class manufacturer: the authority. */
      controller?: string;
      /** Remote ports or ranges; any when absent. */
      ports?: (number | string)[];
      protocol: "tcp" | "udp" | "icmp" | "any";
      /** Who opens the connection (MUD direction-initiated). */
      direction: "from-device" | "to-device" | "either";
      purpose?: "telemetry" | "control" | "update" | "time" | "dns" | "location" | "diagnostics" | "analytics" | "advertising";
      /** What the flow carries; the model's `personal_data` when absent. */
      data?: ("personal" | "location" | "pseudonymous" | "none")[];
      /** Who receives it; derived from the first-party domains and the tracker list when absent. */
      party?: "first" | "support" | "third" | "tracker";
      /** The organisation that runs it. */
      owner?: string;
      /** Where personal data sent here may go; the model's `jurisdictions` when absent. */
      jurisdictions?: string[];
      /** GDPR Chapter V basis for a transfer outside the allowed jurisdictions (Art. 46 SCCs, Art. 47 BCRs, Art. 49). */
      safeguard?: "scc" | "bcr" | "derogation";
      /** How long the recipient keeps the data (ISO 8601 duration). */
      retention?: string;
      /** For location: how many flows an hour a device is declared to send at most. */
      max_per_hour?: number;
      /** Where this entry came from. */
      source: "declared" | "mud";
    })[];
    /** Set when the destinations were imported from a MUD file. */
    mud?: {
      url?: string;
      last_update?: string;
      file: string;
      imported_at: string;
      warnings: string[];
    };
  };
};

export type DeviceModelPage = {
  items: DeviceModel[];
  next_page_token: string | null;
  total: Total;
};

export type DevicePage = {
  items: Device[];
  next_page_token: string | null;
  total: Total;
};

export type Finding = {
  /** Rule id, e.g. default-password. */
  rule: string;
  severity: "critical" | "high" | "medium" | "low" | "info";
  device_id?: string;
  model_id?: string;
  title: string;
  /** What was seen; never a password. */
  evidence: Record<string, unknown>;
  /** Provisions, e.g. ETSI-EN-303-645:5.1-1. */
  standards: string[];
  /** Stable across scans. */
  fingerprint: string;
  status: "new" | "unchanged" | "fixed" | "suppressed";
  /** Every affected device, for findings about a group. */
  devices?: string[];
  /** How many devices a fleet-level finding reaches without listing them (single-point-of-compromise); a rule's device count is at least its findings' largest reach. */
  reach?: number;
  suppression?: {
    reason: string;
    expires?: string;
  };
};

export type FindingGroup = {
  rule: string;
  /** The most severe of the rule's findings. */
  severity: "critical" | "high" | "medium" | "low" | "info";
  /** Absent for scans recorded before titles were kept per rule. */
  title?: string;
  findings: number;
  /** Distinct devices the rule's findings touch; with `devices_at_least`, at least this many (the largest `reach`), never 0 for a rule whose findings reach devices. */
  devices: number;
  /** Present when `devices` is a lower bound: some findings say how many devices they reach without listing them (single-point-of-compromise), and they may overlap. */
  devices_at_least?: true;
  /** The largest reach of the rule's findings that list no devices (absent when every finding lists its devices). */
  reach?: number;
  new: number;
  suppressed: number;
};

export type FindingGroupPage = {
  items: FindingGroup[];
  next_page_token: string | null;
  total: Total;
};

export type FindingPage = {
  items: Finding[];
  next_page_token: string | null;
  total: Total;
};

export type Forecast = {
  as_of: string;
  until: number;
  policy_version: string;
  devices: number;
  devices_without_retirement: number;
  rows: ForecastRow[];
  /** Present when the forecast is the one the latest scan tallied as it audited the fleet (as of its date), not computed for this request. */
  from_scan?: {
    scan_id: number;
    computed_at: string;
    /** Devices were imported after that scan: the next scan brings it up to date. */
    stale: boolean;
  };
};

export type ForecastRow = {
  year: number;
  date: string;
  devices: number;
  retired: number;
  in_field: number;
  in_support: number;
  support_unknown: number;
  valid_identity: number;
  identity_unknown: number;
  crypto_allowed: number;
  crypto_migratable: number;
  crypto_unknown: number;
  securable: number;
  at_risk: number;
};

export type Health = {
  status: "ok" | "unavailable";
};

export type IngestResult = {
  accepted: number;
  rejected: number;
  rejects: ({
    line: number;
    reason: string;
  })[];
  late?: number;
  /** Where the body's text was not what it was read as: not UTF-8, so read as Windows-1252 from that byte (send a charset to say which it is). */
  warnings?: ({
    line: number;
    reason: string;
    /** The byte's offset in the body. */
    offset?: number;
  })[];
};

export type ModelForecastPage = {
  year: number;
  date: string;
  /** Present when the forecast is the one the latest scan tallied as it audited the fleet (as of its date), not computed for this request. */
  from_scan?: {
    scan_id: number;
    computed_at: string;
    /** Devices were imported after that scan: the next scan brings it up to date. */
    stale: boolean;
  };
  items: ModelForecastRow[];
  next_page_token: string | null;
  total: {
    count: number;
    type: "exact";
  };
};

export type ModelForecastRow = {
  /** null: devices without a model. */
  model_id: string | null;
  in_field: number;
  retired: number;
  securable: number;
  at_risk: number;
  /** Devices in the field known to fail each criterion (a device can fail several). */
  failing: {
    support: number;
    identity: number;
    crypto: number;
  };
  /** Devices in the field whose support end, certificate or crypto is not known. */
  unknown: {
    support: number;
    identity: number;
    crypto: number;
  };
};

export type NewAlertSuppression = {
  detector: "volume-anomaly" | "new-destination" | "horizontal-scan" | "vertical-scan" | "beaconing" | "ddos-participation" | "sim-swap" | "unexpected-network" | "impossible-travel" | "sms-on-data-sim" | "auth-failure-burst" | "connect-storm" | "disconnect-storm" | "device-silent" | "fleet-campaign" | "undeclared-flow" | "data-residency" | "location-to-third-party" | "mud-violation" | "watchlist-hit";
  device_id?: string;
  key?: string;
  reason: string;
  expires?: string;
};

export type NewApiToken = {
  name: string;
  role: "viewer" | "analyst" | "responder" | "admin";
  /** How long it lives: 30d, 12h, 90m, 2w, or never. */
  expires?: string;
};

export type NewSuppression = {
  rule: string;
  fingerprint?: string;
  device_id?: string;
  reason: string;
  expires?: string;
};

export type Overview = {
  devices: number;
  /** Devices with no open finding that means they cannot be kept secure now (support ended, no OTA, expired identity). */
  securable_today: number;
  latest_scan?: {
    id: number;
    started_at: string;
    finished_at?: string;
    rules: string[];
    counts: Record<string, number>;
  };
  open_findings: Record<string, number>;
  open_alerts: Record<string, number>;
  top_problems: FindingGroup[];
  coverage: Coverage;
};

/** Who a request or session acts as. */
export type Principal = {
  kind: "token" | "account";
  name: string;
  role: "viewer" | "analyst" | "responder" | "admin";
  token_id?: string;
};

/** RFC 9457 problem details. */
export type Problem = {
  /** https://longwatch.dev/problems/<code> */
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The same code the CLI exits with (core/errors.ts). */
  code: "usage" | "file_not_found" | "invalid_config" | "invalid_input" | "not_found" | "conflict" | "unauthenticated" | "forbidden" | "rate_limited" | "payload_too_large" | "unsupported_media_type" | "store_unavailable" | "store_incompatible" | "state_invalid" | "resources_exhausted" | "upstream_failed" | "internal";
  instance?: string;
  /** Each invalid field. */
  errors?: ({
    field: string;
    code?: string;
    detail: string;
  })[];
};

export type Response = {
  id: string;
  action: string;
  target: ResponseTarget;
  params: Record<string, unknown>;
  state: "proposed" | "approved" | "applied" | "verified" | "failed" | "reversed" | "rejected";
  mode: "manual" | "automatic";
  reversible: boolean;
  reason: string;
  proposer: string;
  proposed_at: string;
  idempotency_key: string;
  plan: ActionPlan;
  warnings: string[];
  version: number;
  [field: string]: unknown;
};

export type ResponseAction = {
  id: string;
  title: string;
  target: "device" | "certificate" | "credential";
  reversible: boolean;
  description: string;
  escalation?: string;
};

export type ResponsePage = {
  items: Response[];
  next_page_token: string | null;
  total: Total;
};

export type ResponseProposal = {
  action: string;
  target: ResponseTarget;
  params?: Record<string, unknown>;
  reason: string;
  offline?: boolean;
};

export type ResponseTarget = {
  kind: "device" | "certificate" | "credential";
  id: string;
};

export type ScanInfo = {
  id: number;
  started_at: string;
  finished_at?: string;
  rules: string[];
  counts: Record<string, number>;
};

export type ScanJob = {
  id: string;
  state: "running" | "succeeded" | "failed";
  started_at: string;
  finished_at?: string;
  started_by: string;
  phase?: "import" | "audit" | "rank";
  /** Devices audited so far. */
  done: number;
  /** Devices to audit (0 until known). */
  total: number;
  result?: {
    scan_id: number;
    devices: number;
    findings: number;
    fixed: number;
    counts: Record<string, number>;
    /** Why the what-if ranking after the scan failed; the scan and its findings are stored all the same. */
    rank_error?: string;
  };
  error?: {
    code: string;
    message: string;
  };
};

export type ScanJobPage = {
  items: ScanJob[];
  next_page_token: string | null;
  total: Total;
};

export type ScanRequest = {
  /** Rule ids to run (default: every rule). */
  rules?: string[];
};

export type Session = {
  name: string;
  role: "viewer" | "analyst" | "responder" | "admin";
  principal: Principal;
  /** When the session ends (absent for a request made with a bearer token). */
  expires_at?: string;
  /** Send it in X-CSRF-Token with every change made with the cookie. */
  csrf_token?: string;
};

/** A token, or a username and password. */
export type SignIn = {
  token: string;
} | {
  username: string;
  password: string;
};

export type StoredWhatifRanking = {
  /** When the oldest of the kinds read was ranked; null when none has been. */
  computed_at: string | null;
  /** Devices were imported after computed_at. */
  stale: boolean;
  fleet_devices: number | null;
  kinds: ({
    kind: string;
    computed_at: string;
    fleet_devices: number;
    counted: number;
    source: string;
  })[];
  /** Kinds asked for that were never ranked. */
  missing: string[];
  nodes: ({
    kind: string;
    target: string;
    label: string;
    devices: number;
    share: number;
  })[];
  counted: Record<string, number>;
};

export type Suppression = {
  id: number;
  rule: string;
  fingerprint?: string;
  device_id?: string;
  reason: string;
  expires?: string;
  created_at: string;
};

export type SuppressionPage = {
  items: Suppression[];
  next_page_token: string | null;
  total: Total;
};

export type Total = {
  count: number;
  type: "exact" | "at_least";
};

export type Trends = {
  /** First day counted (UTC midnight). */
  since: string;
  /** The day after the last day counted. */
  until: string;
  alerts_per_day: ({
    day: string;
    raised: number;
    /** Of them, high or critical. */
    high: number;
  })[];
  /** The last 30 finished scans, oldest first, with their findings by severity. */
  scans: ({
    id: number;
    at: string;
    counts: Record<string, number>;
  })[];
};

export type VulnerabilityStatus = {
  counts: {
    sboms: number;
    components: number;
    advisories: number;
    affected: number;
    kev: number;
    epss: number;
    vex: number;
  };
  /** Feed imports, oldest first. */
  feeds: ({
    kind: string;
    source: string;
    imported_at: string;
    detail: Record<string, unknown>;
  })[];
};

export type WhatifRanking = {
  fleet_devices: number;
  nodes: ({
    kind: string;
    target: string;
    label: string;
    devices: number;
    share: number;
  })[];
  counted: Record<string, number>;
};

/** What each operation answers on success, by operationId. */
export interface Responses {
  "health.live": Health;
  "health.ready": Health;
  "meta.openapi": Record<string, unknown>;
  "meta.whoami": Principal;
  "meta.metrics": string;
  "session.create": Session;
  "session.get": Session;
  "session.delete": null;
  "tokens.list": ApiTokenPage;
  "tokens.create": CreatedApiToken;
  "tokens.revoke": ApiToken;
  "devices.list": DevicePage;
  "devices.get": Device;
  "models.list": DeviceModelPage;
  "models.get": DeviceModel;
  "devices.certificate": CertificateDetail;
  "devices.components": DeviceComponentPage;
  "alerts.list": AlertPage;
  "alerts.get": Alert;
  "alerts.history": {
    items: AlertEvent[];
  };
  "alerts.ack": Alert;
  "alerts.resolve": Alert;
  "alerts.reopen": Alert;
  "alerts.verify": Alert;
  "alerts.assign": Alert;
  "alerts.comment": Alert;
  "alerts.bulk": AlertBulkResult;
  "dead-letters.list": DeadLetterPage;
  "findings.list": FindingPage;
  "suppressions.list": SuppressionPage;
  "suppressions.create": Suppression;
  "suppressions.delete": null;
  "alert-suppressions.list": AlertSuppressionPage;
  "alert-suppressions.create": AlertSuppression;
  "alert-suppressions.delete": null;
  "scans.start": ScanJob;
  "scans.jobs": ScanJobPage;
  "scans.job": ScanJob;
  "scans.latest": ScanInfo;
  "forecast.get": Forecast;
  "forecast.models": ModelForecastPage;
  "assessments.list": AssessmentInfoPage;
  "assessments.get": Assessment;
  "vulnerabilities.status": VulnerabilityStatus;
  "audit.list": AuditEntryPage;
  "records.ingest": IngestResult;
  "respond.actions": ResponseAction[];
  "responses.list": ResponsePage;
  "responses.propose": Response;
  "responses.get": Response;
  "responses.approve": unknown;
  "responses.reject": unknown;
  "responses.apply": unknown;
  "responses.verify": unknown;
  "responses.reverse": unknown;
  "responses.confirm": unknown;
  "responses.escalate": unknown;
  "respond.automatic": AutomaticResponse;
  "respond.pause": AutomaticResponse;
  "respond.resume": AutomaticResponse;
  "respond.log": {
    verification: unknown;
    entries: (Record<string, unknown>)[];
  };
  "whatif.compromise": CompromiseReport;
  "whatif.stored": StoredWhatifRanking;
  "whatif.rank": WhatifRanking;
  "overview.get": Overview;
  "findings.groups": FindingGroupPage;
  "overview.trends": Trends;
  "alerts.series": AlertSeries;
  "events.stream": string;
}

/** The JSON body each operation takes, by operationId. */
export interface Bodies {
  "session.create": SignIn;
  "tokens.create": NewApiToken;
  "alerts.ack": AlertActionBody;
  "alerts.resolve": AlertActionBody;
  "alerts.reopen": AlertActionBody;
  "alerts.verify": AlertVerifyBody;
  "alerts.assign": AlertAssignBody;
  "alerts.comment": AlertCommentBody;
  "alerts.bulk": AlertBulkBody;
  "suppressions.create": NewSuppression;
  "alert-suppressions.create": NewAlertSuppression;
  "scans.start": ScanRequest;
  "records.ingest": string;
  "responses.propose": ResponseProposal;
  "responses.approve": {
    note?: string;
  };
  "responses.reject": {
    reason: string;
  };
  "responses.apply": {
    execute?: boolean;
  };
  "responses.verify": Record<string, never>;
  "responses.reverse": {
    reason?: string;
  };
  "responses.confirm": {
    note?: string;
  };
  "responses.escalate": {
    reason: string;
  };
  "respond.pause": {
    reason: string;
  };
  "respond.resume": Record<string, never>;
}

/** Each operation's method and path (what the typed client calls). */
export const operations = {
  "health.live": "GET /healthz",
  "health.ready": "GET /readyz",
  "meta.openapi": "GET /api/v1/openapi.json",
  "meta.whoami": "GET /api/v1/whoami",
  "meta.metrics": "GET /metrics",
  "session.create": "POST /api/v1/session",
  "session.get": "GET /api/v1/session",
  "session.delete": "DELETE /api/v1/session",
  "tokens.list": "GET /api/v1/tokens",
  "tokens.create": "POST /api/v1/tokens",
  "tokens.revoke": "DELETE /api/v1/tokens/{name}",
  "devices.list": "GET /api/v1/devices",
  "devices.get": "GET /api/v1/devices/{id}",
  "models.list": "GET /api/v1/models",
  "models.get": "GET /api/v1/models/{id}",
  "devices.certificate": "GET /api/v1/devices/{id}/certificate",
  "devices.components": "GET /api/v1/devices/{id}/components",
  "alerts.list": "GET /api/v1/alerts",
  "alerts.get": "GET /api/v1/alerts/{id}",
  "alerts.history": "GET /api/v1/alerts/{id}/history",
  "alerts.ack": "POST /api/v1/alerts/{id}/ack",
  "alerts.resolve": "POST /api/v1/alerts/{id}/resolve",
  "alerts.reopen": "POST /api/v1/alerts/{id}/reopen",
  "alerts.verify": "POST /api/v1/alerts/{id}/verify",
  "alerts.assign": "POST /api/v1/alerts/{id}/assign",
  "alerts.comment": "POST /api/v1/alerts/{id}/comment",
  "alerts.bulk": "POST /api/v1/alerts/bulk",
  "dead-letters.list": "GET /api/v1/dead-letters",
  "findings.list": "GET /api/v1/findings",
  "suppressions.list": "GET /api/v1/suppressions",
  "suppressions.create": "POST /api/v1/suppressions",
  "suppressions.delete": "DELETE /api/v1/suppressions/{id}",
  "alert-suppressions.list": "GET /api/v1/alert-suppressions",
  "alert-suppressions.create": "POST /api/v1/alert-suppressions",
  "alert-suppressions.delete": "DELETE /api/v1/alert-suppressions/{id}",
  "scans.start": "POST /api/v1/scans",
  "scans.jobs": "GET /api/v1/scan-jobs",
  "scans.job": "GET /api/v1/scan-jobs/{id}",
  "scans.latest": "GET /api/v1/scans/latest",
  "forecast.get": "GET /api/v1/forecast",
  "forecast.models": "GET /api/v1/forecast/models",
  "assessments.list": "GET /api/v1/assessments",
  "assessments.get": "GET /api/v1/assessments/{id}",
  "vulnerabilities.status": "GET /api/v1/vulnerabilities/status",
  "audit.list": "GET /api/v1/audit-log",
  "records.ingest": "POST /api/v1/records",
  "respond.actions": "GET /api/v1/respond/actions",
  "responses.list": "GET /api/v1/responses",
  "responses.propose": "POST /api/v1/responses",
  "responses.get": "GET /api/v1/responses/{id}",
  "responses.approve": "POST /api/v1/responses/{id}/approve",
  "responses.reject": "POST /api/v1/responses/{id}/reject",
  "responses.apply": "POST /api/v1/responses/{id}/apply",
  "responses.verify": "POST /api/v1/responses/{id}/verify",
  "responses.reverse": "POST /api/v1/responses/{id}/reverse",
  "responses.confirm": "POST /api/v1/responses/{id}/confirm",
  "responses.escalate": "POST /api/v1/responses/{id}/escalate",
  "respond.automatic": "GET /api/v1/respond/automatic",
  "respond.pause": "POST /api/v1/respond/automatic/pause",
  "respond.resume": "POST /api/v1/respond/automatic/resume",
  "respond.log": "GET /api/v1/respond/log",
  "whatif.compromise": "GET /api/v1/whatif/compromise",
  "whatif.stored": "GET /api/v1/whatif/ranking/stored",
  "whatif.rank": "GET /api/v1/whatif/ranking",
  "overview.get": "GET /api/v1/overview",
  "findings.groups": "GET /api/v1/findings/groups",
  "overview.trends": "GET /api/v1/overview/trends",
  "alerts.series": "GET /api/v1/alerts/{id}/series",
  "events.stream": "GET /api/v1/events",
} as const;

export type OperationId = keyof typeof operations;
