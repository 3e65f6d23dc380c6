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
 * | `deletionProtection` | `true` | DynamoDB deletion protection |
 * | `httpRateLimit`, `httpBurstLimit` | 100, 200 | HTTP API `$default` stage throttling (requests/s, burst) |
 * | `wsRateLimit`, `wsBurstLimit` | 100, 200 | WebSocket stage throttling (messages/s, burst) |
 * | `alarmEmail` | unset | e-mail address subscribed to the alarm topic (confirm the subscription mail) |
 * | `apiGatewayCloudWatchRole` | `true` | create the region-wide API Gateway CloudWatch Logs role WebSocket access logs need; `false` when the account already has one |
 * | `tracing` | `true` | X-Ray active tracing with the Powertools tracer; `false` turns both off, and then the functions do not load the tracer or the X-Ray SDK (~60 ms less per cold start) |
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
  readonly deletionProtection: boolean;
  readonly httpThrottle: Throttle;
  readonly wsThrottle: Throttle;
  readonly alarmEmail?: string;
  readonly apiGatewayCloudWatchRole: boolean;
  readonly tracing: boolean;
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

  return {
    corsOrigins: stringList(get('corsOrigins'), 'corsOrigins') ?? ['*'],
    oidc,
    deletionProtection: bool(get('deletionProtection'), 'deletionProtection') ?? true,
    httpThrottle: {
      rateLimit: positiveNumber(get('httpRateLimit'), 'httpRateLimit') ?? HTTP_THROTTLE_DEFAULT.rateLimit,
      burstLimit: positiveNumber(get('httpBurstLimit'), 'httpBurstLimit') ?? HTTP_THROTTLE_DEFAULT.burstLimit,
    },
    wsThrottle: {
      rateLimit: positiveNumber(get('wsRateLimit'), 'wsRateLimit') ?? WS_THROTTLE_DEFAULT.rateLimit,
      burstLimit: positiveNumber(get('wsBurstLimit'), 'wsBurstLimit') ?? WS_THROTTLE_DEFAULT.burstLimit,
    },
    alarmEmail: email(get('alarmEmail'), 'alarmEmail'),
    apiGatewayCloudWatchRole: bool(get('apiGatewayCloudWatchRole'), 'apiGatewayCloudWatchRole') ?? true,
    tracing: bool(get('tracing'), 'tracing') ?? true,
  };
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
