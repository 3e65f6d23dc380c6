/**
 * Runtime configuration, read from the environment once at cold start and
 * validated. Every other module imports the named constants below; nothing
 * else reads `process.env`, except Powertools, which reads its own
 * `POWERTOOLS_*` variables (and `functions/lib/tracer.ts`, which mirrors two of them to
 * decide whether to load the tracer at all).
 *
 * On AWS the CDK stack (`lib/chat-function.ts`) sets these variables; the local
 * stack (`local/start.ts`) sets them before it loads any handler.
 */
import { randomBytes } from 'node:crypto';
import { parseBlockedWords } from './domain/word-filter';
import { env as f, readEnv, type EnvOf } from './env';

/** Every variable the functions read, with its rules and default (`functions/env.ts`). */
const SHAPE = {
  /** Single DynamoDB table (see `functions/data/table.ts`). */
  TABLE_NAME: f.text({ min: 1 }),
  /** Private attachment bucket. */
  BUCKET_NAME: f.text({ min: 1, fallback: 'unset' }),
  /**
   * Base URL of the API Gateway `@connections` management API, e.g.
   * `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`; locally the gateway.
   */
  WS_ENDPOINT: f.url(),
  /**
   * The WebSocket URL clients connect to, as `/asyncapi.json` documents it.
   * Default: `WS_ENDPOINT` as `wss://` (on AWS the stage URL is both);
   * the local stack's is `ws://127.0.0.1:$PORT/ws`.
   */
  WS_URL: f.optionalUrl(),
  /** `cognito` (default on AWS) or `oidc` (any issuer; the local stack uses this). */
  AUTH_MODE: f.oneOf(['cognito', 'oidc'], 'oidc'),
  COGNITO_USER_POOL_ID: f.optionalText(),
  COGNITO_CLIENT_ID: f.optionalText(),
  /**
   * Which Cognito tokens are accepted as bearer tokens: `access` (default;
   * what OAuth 2.0 defines for calling APIs) or `id` (explicit opt-in, for
   * clients that only hold ID tokens). Never both (issue 13 item 12).
   */
  COGNITO_TOKEN_USE: f.oneOf(['access', 'id'], 'access'),
  /** The claim OIDC tokens carry platform roles in (default `roles`); Cognito mode always reads `cognito:groups`. */
  OIDC_ROLES_CLAIM: f.text({ min: 1, fallback: 'roles' }),
  OIDC_ISSUER: f.optionalText(),
  OIDC_AUDIENCE: f.optionalText(),
  OIDC_JWKS_URI: f.optionalUrl(),
  /** Only set locally: endpoints of DynamoDB Local and the local S3 server. */
  DYNAMODB_ENDPOINT: f.optionalUrl(),
  S3_ENDPOINT: f.optionalUrl(),
  AWS_REGION: f.text({ fallback: 'us-east-1' }),
  APP_VERSION: f.text({ fallback: '0.1.0' }),
  /**
   * How long a connection record lives without `$disconnect`. API Gateway
   * closes every WebSocket after 2 h (its documented maximum connection
   * duration), so a record older than that is certainly stale.
   */
  CONNECTION_TTL_SECONDS: f.positiveInt(2 * 60 * 60),
  /** SPEC §5: message content ≤ 5,000 characters. */
  MAX_CONTENT_LENGTH: f.positiveInt(5000),
  /** SPEC §5: group size ≤ 1,000 participants. */
  MAX_GROUP_SIZE: f.positiveInt(1000),
  /** SPEC §5: messages per user per minute, HTTP and WebSocket together. */
  RATE_LIMIT_PER_MINUTE: f.positiveInt(20),
  /** SPEC §5: other writes (edits, deletes, reactions, pins, chat changes, …) per user per minute. */
  WRITE_RATE_LIMIT_PER_MINUTE: f.positiveInt(60),
  /** SPEC §5: chat creations per user per minute. */
  CHAT_RATE_LIMIT_PER_MINUTE: f.positiveInt(10),
  /** SPEC §5: participants added per user per minute (counted per person). */
  PARTICIPANT_RATE_LIMIT_PER_MINUTE: f.positiveInt(100),
  /** SPEC §5: one relayed `typing` per user per chat per this many seconds. */
  TYPING_INTERVAL_SECONDS: f.positiveInt(2),
  /** SPEC §5: open WebSocket connections per user; the oldest is closed when one more opens. */
  MAX_CONNECTIONS_PER_USER: f.positiveInt(10),
  /** SPEC §4: distinct reactions per message. */
  MAX_REACTIONS_PER_MESSAGE: f.positiveInt(50),
  /** How long a directory `support` role counts for assignment after the user was last seen with it. */
  DIRECTORY_ROLE_TTL_SECONDS: f.positiveInt(24 * 60 * 60),
  /** SPEC §5: the author may edit for 15 minutes after sending. */
  EDIT_WINDOW_SECONDS: f.positiveInt(15 * 60),
  /** SPEC §5: attachment size ≤ 10 MB (bytes). */
  MAX_ATTACHMENT_BYTES: f.positiveInt(10 * 1024 * 1024),
  /** How long a presigned upload URL is valid. */
  UPLOAD_URL_TTL_SECONDS: f.positiveInt(15 * 60),
  /** How long the presigned download URLs in message reads are valid (`urlExpiresAt`). */
  DOWNLOAD_URL_TTL_SECONDS: f.positiveInt(15 * 60),
  /** EventBridge bus for offline notifications (SPEC §5); unset = not published. */
  EVENT_BUS_NAME: f.optionalText({ min: 1 }),
  /** Only set locally: the local stack's PutEvents stand-in. */
  EVENTS_ENDPOINT: f.optionalUrl(),
  /** SQS FIFO queue for the fan-out of large chats; unset = every chat is delivered inline. */
  FANOUT_QUEUE_URL: f.optionalUrl(),
  /** Chats with more participants than this are delivered by the fan-out worker. */
  FANOUT_INLINE_MAX: f.positiveInt(50),
  /** SQS FIFO queue of erasure and export jobs (SPEC §10); unset = those requests answer 503. */
  GOVERNANCE_QUEUE_URL: f.optionalUrl(),
  /**
   * How long a container trusts that a caller was not erased before it
   * reads the directory again (SPEC §10: an erased user's tokens stop
   * working). The container that takes the erasure request forgets at once.
   */
  ERASURE_CHECK_SECONDS: f.positiveInt(30),
  /** How long the presigned GET of a finished export is valid (`urlExpiresAt`). */
  EXPORT_URL_TTL_SECONDS: f.positiveInt(15 * 60),
  /** Days an export document (S3 `exports/`) and its record are kept; the bucket's lifecycle rule matches. */
  EXPORT_RETENTION_DAYS: f.positiveInt(7),
  /** SPEC §10: messages older than this many days are removed (DynamoDB TTL); unset = kept forever. */
  MESSAGE_RETENTION_DAYS: f.optionalPositiveInt(),
  /** Only set locally: the local stack's SQS stand-in. */
  SQS_ENDPOINT: f.optionalUrl(),
  /** SPEC §9: comma-separated words (or phrases) messages and edits may not contain (CDK context `blockedWords`). */
  BLOCKED_WORDS: f.optionalText({ max: 65_536 }),
  /**
   * How long a container trusts what it read of a caller's platform ban on
   * routes that do not send (sends and `$connect` always read it): a ban
   * reaches every route within this many seconds, at one read per caller
   * and container per period rather than one per request.
   */
  BAN_CHECK_SECONDS: f.positiveInt(30),
  /** SPEC §9: reports left open longer than this raise the `ReportSla` alarm. */
  REPORT_SLA_HOURS: f.positiveNumber(24),
  /** SPEC §5/§7: how many days `GET /v1/sync` keeps changes (DynamoDB TTL of the change log); older cursors answer 410. */
  SYNC_WINDOW_DAYS: f.positiveInt(30),
  /** SPEC §8: `none` keeps message content, sender names and chat titles out of notification events and pushes (CDK context `pushPreview`). */
  PUSH_PREVIEW: f.oneOf(['full', 'none'], 'full'),
  /**
   * SNS mobile push: the platform application ARN per platform (CDK context
   * `pushPlatformApplications`); a platform without one gets no pushes.
   */
  PUSH_APNS_ARN: f.optionalText({ min: 1 }),
  PUSH_APNS_SANDBOX_ARN: f.optionalText({ min: 1 }),
  PUSH_FCM_ARN: f.optionalText({ min: 1 }),
  /** Only set locally: the local stack's SNS stand-in (records pushes at `/dev/pushes`). */
  SNS_ENDPOINT: f.optionalUrl(),
  /**
   * HMAC key of list cursors (`functions/domain/cursors.ts`), ≥ 32 characters.
   * The CDK stack sets it from a generated Secrets Manager secret; the local
   * stack from a random value per start. Unset: a random key per container,
   * so cursors would fail (400) when the next page lands on another one:
   * set it everywhere but in single-process tools.
   */
  CURSOR_SECRET: f.optionalText({ min: 32 }),
} as const;

/** Cross-variable rules, checked once every variable is valid. */
function refine(env: Env, issue: (message: string) => void): void {
  if (env.AUTH_MODE === 'cognito' && (!env.COGNITO_USER_POOL_ID || !env.COGNITO_CLIENT_ID)) issue('AUTH_MODE=cognito needs COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID');
  if (env.AUTH_MODE === 'oidc' && (!env.OIDC_ISSUER || !env.OIDC_AUDIENCE || !env.OIDC_JWKS_URI)) issue('AUTH_MODE=oidc needs OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URI');
}

export type Env = EnvOf<typeof SHAPE>;

const env = readEnv(process.env, SHAPE, refine);

export const TABLE_NAME = env.TABLE_NAME;
export const BUCKET_NAME = env.BUCKET_NAME;
export const WS_ENDPOINT = env.WS_ENDPOINT;
export const WS_URL = env.WS_URL ?? env.WS_ENDPOINT.replace(/^http/, 'ws');
export const AUTH_MODE = env.AUTH_MODE;
export const COGNITO_USER_POOL_ID = env.COGNITO_USER_POOL_ID;
export const COGNITO_CLIENT_ID = env.COGNITO_CLIENT_ID;
export const COGNITO_TOKEN_USE = env.COGNITO_TOKEN_USE;
/** The one claim roles are read from in this mode. */
export const ROLES_CLAIM = env.AUTH_MODE === 'cognito' ? 'cognito:groups' : env.OIDC_ROLES_CLAIM;
export const OIDC_ISSUER = env.OIDC_ISSUER;
export const OIDC_AUDIENCE = env.OIDC_AUDIENCE;
export const OIDC_JWKS_URI = env.OIDC_JWKS_URI;
export const DYNAMODB_ENDPOINT = env.DYNAMODB_ENDPOINT;
export const S3_ENDPOINT = env.S3_ENDPOINT;
export const AWS_REGION = env.AWS_REGION;
export const APP_VERSION = env.APP_VERSION;
export const CONNECTION_TTL_SECONDS = env.CONNECTION_TTL_SECONDS;
export const EVENT_BUS_NAME = env.EVENT_BUS_NAME;
export const EVENTS_ENDPOINT = env.EVENTS_ENDPOINT;
export const FANOUT_QUEUE_URL = env.FANOUT_QUEUE_URL;
export const FANOUT_INLINE_MAX = env.FANOUT_INLINE_MAX;
export const SQS_ENDPOINT = env.SQS_ENDPOINT;
export const REPORT_SLA_HOURS = env.REPORT_SLA_HOURS;
export const PUSH_PREVIEW = env.PUSH_PREVIEW;
/** Platform application ARNs by SPEC §8 platform; empty = SNS push is off. */
export const PUSH_PLATFORM_APPLICATIONS: Partial<Record<'apns' | 'apns_sandbox' | 'fcm', string>> = Object.fromEntries(
  Object.entries({ apns: env.PUSH_APNS_ARN, apns_sandbox: env.PUSH_APNS_SANDBOX_ARN, fcm: env.PUSH_FCM_ARN }).filter(([, arn]) => arn),
);
export const SNS_ENDPOINT = env.SNS_ENDPOINT;
export const CURSOR_SECRET = env.CURSOR_SECRET ?? randomBytes(32).toString('base64url');
export const GOVERNANCE_QUEUE_URL = env.GOVERNANCE_QUEUE_URL;
export const LIMITS = {
  maxContentLength: env.MAX_CONTENT_LENGTH,
  maxGroupSize: env.MAX_GROUP_SIZE,
  messagesPerMinute: env.RATE_LIMIT_PER_MINUTE,
  writesPerMinute: env.WRITE_RATE_LIMIT_PER_MINUTE,
  chatCreationsPerMinute: env.CHAT_RATE_LIMIT_PER_MINUTE,
  participantAddsPerMinute: env.PARTICIPANT_RATE_LIMIT_PER_MINUTE,
  typingIntervalSeconds: env.TYPING_INTERVAL_SECONDS,
  maxReactionsPerMessage: env.MAX_REACTIONS_PER_MESSAGE,
  maxConnectionsPerUser: env.MAX_CONNECTIONS_PER_USER,
  directoryRoleSeconds: env.DIRECTORY_ROLE_TTL_SECONDS,
  editWindowSeconds: env.EDIT_WINDOW_SECONDS,
  maxAttachmentBytes: env.MAX_ATTACHMENT_BYTES,
  uploadUrlSeconds: env.UPLOAD_URL_TTL_SECONDS,
  downloadUrlSeconds: env.DOWNLOAD_URL_TTL_SECONDS,
  exportUrlSeconds: env.EXPORT_URL_TTL_SECONDS,
  exportRetentionDays: env.EXPORT_RETENTION_DAYS,
  messageRetentionDays: env.MESSAGE_RETENTION_DAYS,
  erasureCheckSeconds: env.ERASURE_CHECK_SECONDS,
  blockedWords: parseBlockedWords(env.BLOCKED_WORDS),
  banCheckSeconds: env.BAN_CHECK_SECONDS,
  syncWindowSeconds: env.SYNC_WINDOW_DAYS * 86_400,
} as const;
