/**
 * CDK context the stack reads (`cdk deploy -c key=value` or `cdk.json`), parsed
 * and validated once so that a typo fails the synth instead of deploying a
 * half-configured stack. Values given on the command line arrive as strings,
 * hence the string forms accepted below.
 *
 * | key | default | meaning |
 * |---|---|---|
 * | `corsOrigins` | `['*']` | browser origins for the HTTP API and the bucket (array, JSON array string, or comma-separated string) |
 * | `oidcIssuer`, `oidcAudience`, `oidcJwksUri` | unset | all three: use this OIDC issuer instead of a Cognito user pool (SPEC §1) |
 * | `oidcRolesClaim` | `roles` | the OIDC tokens' claim with platform roles (OIDC mode only; Cognito mode reads `cognito:groups`) |
 * | `cognitoTokenUse` | `access` | which Cognito tokens are bearer tokens: `access`, or `id` (explicit opt-in); Cognito mode only |
 * | `malwareProtection` | `false` | GuardDuty Malware Protection for S3 on the attachment bucket (`lib/malware-protection.ts`): infected attachments cannot be downloaded |
 * | `deletionProtection` | `true` | DynamoDB deletion protection |
 * | `httpRateLimit`, `httpBurstLimit` | 100, 200 | HTTP API `$default` stage throttling (requests/s, burst) |
 * | `wsRateLimit`, `wsBurstLimit` | 100, 200 | WebSocket stage throttling (messages/s, burst) |
 * | `alarmEmail` | unset | e-mail address subscribed to the alarm topic (confirm the subscription mail) |
 * | `apiGatewayCloudWatchRole` | `none` | the region-wide API Gateway CloudWatch Logs role (`AWS::ApiGateway::Account`) that WebSocket access logs need: `create` (this stack sets it: account-wide, overwrites another stack's setting), `existing` (the account already has one: access logs on, nothing created), `none` (no WebSocket access logs). `true`/`false` mean `create`/`none` |
 * | `stage` | `prod` | deployment stage: part of the stack name (`ServerlessChat-<stage>`) and of every tag, so dev and prod stacks live side by side in one account |
 * | `destroyOnRemoval` | `false` | non-prod stages only: deleting the stack deletes the table, buckets (emptied first), user pool, key and log groups instead of keeping them |
 * | `customerManagedKey` | `false` | create a customer-managed KMS key (rotated yearly) that encrypts the table, attachment bucket, queues, bus, SNS topics and log groups (SPEC §10) |
 * | `kmsKeyArn` | unset | the same with an existing key (its key policy must let CloudWatch Logs, CloudWatch alarms and EventBridge use it: README "Compliance") |
 * | `tracing` | `true` | X-Ray active tracing with the Powertools tracer; `false` turns both off, and then the functions do not load the tracer or the X-Ray SDK (~60 ms less per cold start) |
 * | `edgeProtection` | `false` | CloudFront + AWS WAF rate rules in front of both APIs (`lib/perimeter.ts`); the web ACL is created in us-east-1 stacks only |
 * | `edgeIpRateLimit`, `edgeTokenRateLimit` | 2000, 1000 | requests per 5 minutes per client IP and per bearer token (WAF's minimum is 10) |
 * | `edgeWebAclArn` | unset | use this existing `CLOUDFRONT` web ACL (created in us-east-1) instead of creating one |
 * | `messageRetentionDays` | unset | SPEC §10: messages expire this many days after they were sent (DynamoDB TTL), attachment objects with them (S3 lifecycle on `chats/`); unset = kept forever |
 * | `exportRetentionDays` | 7 | days an export document (`exports/`, S3 lifecycle) and its record are kept |
 * | `blockedWords` | none | SPEC §9 word filter: words or phrases messages and edits may not contain (array, JSON array string, or comma-separated string); the functions' `BLOCKED_WORDS` |
 * | `reportSlaHours` | 24 | SPEC §9: a report left open longer raises the `ReportSla` alarm; the functions' `REPORT_SLA_HOURS` |
 * | `pushPreview` | `full` | `none`: no message preview, sender name or chat title in offline-notification events and pushes (SPEC §8, for health data) |
 * | `pushPlatformApplications` | unset | existing SNS platform applications to push through (SPEC §8): an object (or JSON string) `{apns?, apnsSandbox?, fcm?}` of their ARNs; unset: no push worker, only the EventBridge event |
 * | `auditRetentionDays` | unset | archive `chat.audit` events (SPEC §10) in an EventBridge archive kept this many days (whole days, 1-3650); unset = no archive (audit lines still go to each function's log group) |
 */
import type { Node } from 'constructs';
import { HTTP_THROTTLE_DEFAULT, WS_THROTTLE_DEFAULT } from '../functions/api-gateway';

export interface OidcConfig {
  /** Exact `iss` claim value, https URL. */
  readonly issuer: string;
  /** Expected `aud` claim value. */
  readonly audience: string;
  /** https URL of the issuer's JWKS document. */
  readonly jwksUri: string;
}

export interface Throttle {
  /** Steady-state requests (HTTP) or messages (WebSocket) per second. */
  readonly rateLimit: number;
  /** Bucket size for bursts above the rate. */
  readonly burstLimit: number;
}

export interface ChatStackContext {
  readonly corsOrigins: string[];
  /** Unset: the stack creates a Cognito user pool. */
  readonly oidc?: OidcConfig;
  /** OIDC mode: the claim with platform roles. */
  readonly oidcRolesClaim: string;
  /** Cognito mode: accept access tokens (default) or ID tokens, never both. */
  readonly cognitoTokenUse: 'access' | 'id';
  readonly deletionProtection: boolean;
  readonly httpThrottle: Throttle;
  readonly wsThrottle: Throttle;
  readonly alarmEmail?: string;
  /** Who provides the account's API Gateway CloudWatch Logs role WebSocket access logs need (see the table above). */
  readonly apiGatewayCloudWatchRole: ApiGatewayCloudWatchRole;
  /** Lower-case stage name, `prod` by default. */
  readonly stage: string;
  /** Stateful resources are destroyed with the stack (non-prod stages only); otherwise RETAIN_ON_UPDATE_OR_DELETE. */
  readonly destroyOnRemoval: boolean;
  /** Unset: AWS owned/managed keys. `create`: the stack creates a customer-managed key; `keyArn`: that existing key. */
  readonly customerManagedKey?: { readonly keyArn?: string };
  readonly tracing: boolean;
  /** SPEC §8 `PUSH_PREVIEW`. */
  readonly pushPreview: 'full' | 'none';
  /** SNS platform application ARNs by SPEC platform; unset or empty: SNS push is off. */
  readonly pushPlatformApplications?: Partial<Record<'apns' | 'apns_sandbox' | 'fcm', string>>;
  /** Unset: no CloudFront/WAF perimeter (the default). */
  readonly edge?: { readonly ipRateLimit: number; readonly tokenRateLimit: number; readonly webAclArn?: string };
  /** SPEC §10 retention; unset: messages are kept forever. */
  readonly messageRetentionDays?: number;
  /** Days export documents are kept (default 7). */
  readonly exportRetentionDays: number;
  /** SPEC §9: the word filter's words (none: no filter). */
  readonly blockedWords: string[];
  /** SPEC §9: hours a report may stay open before the `ReportSla` alarm. */
  readonly reportSlaHours: number;
  /** GuardDuty Malware Protection for S3 on the attachment bucket (opt-in). */
  readonly malwareProtection: boolean;
  /** Unset: audit events are not archived (`lib/audit.ts`). */
  readonly auditRetentionDays?: number;
}

export type ApiGatewayCloudWatchRole = 'create' | 'existing' | 'none';

/** The stage nobody may destroy with the stack (SPEC §10: data is kept). */
export const PROD_STAGE = 'prod';

/**
 * The stack name of a stage, `ServerlessChat-<stage>`: what `cdk deploy`,
 * `npm run smoke -- --stack` and the console show.
 */
export function stackNameFor(stage: string): string {
  return `ServerlessChat-${stage}`;
}

/** Context `stage`: lower-case letters, digits and dashes, so it fits stack names, aliases and tags. */
export function readStage(node: Node): string {
  const stage = optionalString(node.tryGetContext('stage'), 'stage') ?? PROD_STAGE;
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) throw new Error(`Context stage must be 1-20 lower-case letters, digits or dashes starting with a letter, got ${JSON.stringify(stage)}`);
  return stage;
}

export function readContext(node: Node): ChatStackContext {
  const get = (key: string): unknown => node.tryGetContext(key);

  const issuer = optionalString(get('oidcIssuer'), 'oidcIssuer');
  const audience = optionalString(get('oidcAudience'), 'oidcAudience');
  const jwksUri = optionalString(get('oidcJwksUri'), 'oidcJwksUri');
  const given = [issuer, audience, jwksUri].filter((v) => v !== undefined).length;
  if (given !== 0 && given !== 3) {
    // A partial OIDC configuration would silently fall back to Cognito.
    throw new Error('Context oidcIssuer, oidcAudience and oidcJwksUri must be given together (or none of them for Cognito)');
  }
  const oidc = given === 3 ? { issuer: httpsUrl(issuer!, 'oidcIssuer'), audience: audience!, jwksUri: httpsUrl(jwksUri!, 'oidcJwksUri') } : undefined;

  const stage = readStage(node);
  const destroyOnRemoval = bool(get('destroyOnRemoval'), 'destroyOnRemoval') ?? false;
  if (destroyOnRemoval && stage === PROD_STAGE) {
    throw new Error(`Context destroyOnRemoval=true is not allowed for stage ${PROD_STAGE}: production data is kept when the stack is deleted`);
  }
  const deletionProtection = bool(get('deletionProtection'), 'deletionProtection');
  if (destroyOnRemoval && deletionProtection === true) throw new Error('Context destroyOnRemoval=true contradicts deletionProtection=true');
  const oidcRolesClaim = optionalString(get('oidcRolesClaim'), 'oidcRolesClaim');
  const cognitoTokenUse = optionalString(get('cognitoTokenUse'), 'cognitoTokenUse');
  if (oidcRolesClaim !== undefined && !oidc) throw new Error('Context oidcRolesClaim only applies with an OIDC issuer (oidcIssuer, …)');
  if (cognitoTokenUse !== undefined && oidc) throw new Error('Context cognitoTokenUse only applies to the Cognito user pool, not with oidcIssuer');
  if (cognitoTokenUse !== undefined && cognitoTokenUse !== 'access' && cognitoTokenUse !== 'id') throw new Error('Context cognitoTokenUse must be access or id');

  return {
    corsOrigins: stringList(get('corsOrigins'), 'corsOrigins') ?? ['*'],
    oidc,
    oidcRolesClaim: oidcRolesClaim ?? 'roles',
    cognitoTokenUse: (cognitoTokenUse as 'access' | 'id' | undefined) ?? 'access',
    deletionProtection: deletionProtection ?? !destroyOnRemoval,
    httpThrottle: {
      rateLimit: positiveNumber(get('httpRateLimit'), 'httpRateLimit') ?? HTTP_THROTTLE_DEFAULT.rateLimit,
      burstLimit: positiveNumber(get('httpBurstLimit'), 'httpBurstLimit') ?? HTTP_THROTTLE_DEFAULT.burstLimit,
    },
    wsThrottle: {
      rateLimit: positiveNumber(get('wsRateLimit'), 'wsRateLimit') ?? WS_THROTTLE_DEFAULT.rateLimit,
      burstLimit: positiveNumber(get('wsBurstLimit'), 'wsBurstLimit') ?? WS_THROTTLE_DEFAULT.burstLimit,
    },
    alarmEmail: email(get('alarmEmail'), 'alarmEmail'),
    apiGatewayCloudWatchRole: cloudWatchRole(get('apiGatewayCloudWatchRole')),
    stage,
    destroyOnRemoval,
    customerManagedKey: keyContext(get),
    tracing: bool(get('tracing'), 'tracing') ?? true,
    edge: edgeContext(get),
    blockedWords: blockedWords(get('blockedWords')),
    reportSlaHours: positiveNumber(get('reportSlaHours'), 'reportSlaHours') ?? 24,
    malwareProtection: bool(get('malwareProtection'), 'malwareProtection') ?? false,
    pushPreview: pushPreview(get('pushPreview')),
    pushPlatformApplications: pushApplications(get('pushPlatformApplications')),
    auditRetentionDays: wholeDays(get('auditRetentionDays'), 'auditRetentionDays', 3650),
    messageRetentionDays: wholeDays(get('messageRetentionDays'), 'messageRetentionDays', 36500),
    exportRetentionDays: wholeDays(get('exportRetentionDays'), 'exportRetentionDays', 365) ?? 7,
  };
}

function wholeDays(value: unknown, key: string, max: number): number | undefined {
  const n = positiveNumber(value, key);
  if (n !== undefined && (!Number.isInteger(n) || n > max)) throw new Error(`Context ${key} must be a whole number of days from 1 to ${max}`);
  return n;
}

function pushPreview(value: unknown): 'full' | 'none' {
  if (value === undefined) return 'full';
  if (value === 'full' || value === 'none') return value;
  throw new Error(`Context pushPreview must be "full" or "none", got ${JSON.stringify(value)}`);
}

/** SNS platform application ARNs: `arn:<partition>:sns:<region>:<account>:app/<APNS|APNS_SANDBOX|GCM>/<name>`, the platform matching its key. */
function pushApplications(value: unknown): ChatStackContext['pushPlatformApplications'] {
  if (value === undefined) return undefined;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error('Context pushPlatformApplications must be an object (or JSON) {apns?, apnsSandbox?, fcm?} of SNS platform application ARNs');
    }
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('Context pushPlatformApplications must be an object {apns?, apnsSandbox?, fcm?}');
  const platforms = { apns: 'APNS', apnsSandbox: 'APNS_SANDBOX', fcm: 'GCM' } as const;
  const out: NonNullable<ChatStackContext['pushPlatformApplications']> = {};
  for (const [key, arn] of Object.entries(parsed as Record<string, unknown>)) {
    const platform = platforms[key as keyof typeof platforms];
    if (!platform) throw new Error(`Context pushPlatformApplications has an unknown key ${JSON.stringify(key)} (apns, apnsSandbox, fcm)`);
    if (typeof arn !== 'string' || !new RegExp(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\\d{12}:app/${platform}/[A-Za-z0-9_.-]{1,256}$`).test(arn)) {
      throw new Error(`Context pushPlatformApplications.${key} must be the ARN of an SNS ${platform} platform application, got ${JSON.stringify(arn)}`);
    }
    out[key === 'apnsSandbox' ? 'apns_sandbox' : (key as 'apns' | 'fcm')] = arn;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function edgeContext(get: (key: string) => unknown): ChatStackContext['edge'] {
  const enabled = bool(get('edgeProtection'), 'edgeProtection') ?? false;
  const keys = ['edgeIpRateLimit', 'edgeTokenRateLimit', 'edgeWebAclArn'];
  if (!enabled) {
    const stray = keys.filter((k) => get(k) !== undefined);
    if (stray.length > 0) throw new Error(`Context ${stray.join(', ')} only apply with edgeProtection=true`);
    return undefined;
  }
  const limit = (key: string, fallback: number) => {
    const n = positiveNumber(get(key), key) ?? fallback;
    if (!Number.isInteger(n) || n < 10 || n > 2_000_000_000) throw new Error(`Context ${key} must be a whole number of requests per 5 minutes, at least 10 (AWS WAF)`);
    return n;
  };
  const webAclArn = optionalString(get('edgeWebAclArn'), 'edgeWebAclArn');
  if (webAclArn && !/^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/.+/.test(webAclArn)) {
    throw new Error('Context edgeWebAclArn must be the ARN of a CLOUDFRONT (global) web ACL in us-east-1');
  }
  return { ipRateLimit: limit('edgeIpRateLimit', 2000), tokenRateLimit: limit('edgeTokenRateLimit', 1000), webAclArn };
}

/** The word filter's list: commas separate entries, so an entry cannot hold one (`BLOCKED_WORDS` is comma-separated). */
function blockedWords(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const words = stringList(value, 'blockedWords') ?? [];
  if (words.some((w) => w.includes(','))) throw new Error('Context blockedWords entries cannot contain commas');
  return words;
}

function cloudWatchRole(value: unknown): ApiGatewayCloudWatchRole {
  if (value === undefined || value === null || value === '') return 'none';
  if (value === true || value === 'true') return 'create';
  if (value === false || value === 'false') return 'none';
  if (value === 'create' || value === 'existing' || value === 'none') return value;
  throw new Error(`Context apiGatewayCloudWatchRole must be create, existing or none, got ${JSON.stringify(value)}`);
}

function keyContext(get: (key: string) => unknown): ChatStackContext['customerManagedKey'] {
  const create = bool(get('customerManagedKey'), 'customerManagedKey') ?? false;
  const keyArn = optionalString(get('kmsKeyArn'), 'kmsKeyArn');
  if (create && keyArn) throw new Error('Context customerManagedKey=true and kmsKeyArn exclude each other: create a key, or give one');
  // An alias ARN would pass KMS for some services and fail for others (key policies, grants): a key ARN only.
  if (keyArn && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$|^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/mrk-[0-9a-f]{32}$/.test(keyArn)) {
    throw new Error(`Context kmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got ${JSON.stringify(keyArn)}`);
  }
  if (keyArn) return { keyArn };
  return create ? {} : undefined;
}

function optionalString(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`Context ${key} must be a string`);
  return value;
}

function email(value: unknown, key: string): string | undefined {
  const s = optionalString(value, key)?.trim();
  if (s === undefined) return undefined;
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s)) throw new Error(`Context ${key} must be an e-mail address, got ${JSON.stringify(s)}`);
  return s;
}

function httpsUrl(value: string, key: string): string {
  // aws-jwt-verify fetches JWKS over https only and compares `iss` verbatim.
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`Context ${key} must be a URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:') throw new Error(`Context ${key} must be an https URL, got ${value}`);
  return value;
}

function stringList(value: unknown, key: string): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let list: unknown = value;
  if (typeof value === 'string') list = value.trim().startsWith('[') ? JSON.parse(value) : value.split(',');
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) throw new Error(`Context ${key} must be a list of strings`);
  const items = (list as string[]).map((v) => v.trim()).filter(Boolean);
  if (items.length === 0) throw new Error(`Context ${key} must not be empty`);
  return items;
}

function bool(value: unknown, key: string): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`Context ${key} must be true or false`);
}

function positiveNumber(value: unknown, key: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`Context ${key} must be a positive number`);
  return n;
}
