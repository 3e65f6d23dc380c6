/**
 * The local token issuer: an OIDC-shaped issuer at `{baseUrl}/dev` that signs
 * RS256 JWTs with a key pair generated at start (tokens die with the process).
 * The handlers verify these tokens exactly as they verify Cognito's or any
 * OIDC issuer's (`AUTH_MODE=oidc`), via the JWKS served here.
 *
 * Local stack only (SPEC §1): the CDK stack has no `/dev/*` route.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import type { DevRequest, DevResponse, DevRoute } from './gateway/dev-routes';

/** `aud` of local tokens; the local stack sets `OIDC_AUDIENCE` to it. */
export const LOCAL_AUDIENCE = 'chat-local';
/** Roles `POST /dev/token` accepts (SPEC §2). */
export const ROLES = ['user', 'support', 'admin'] as const;
export type LocalRole = (typeof ROLES)[number];
/** Same alphabet as `UserId` in `functions/schemas.ts`. */
const USER_ID = /^[A-Za-z0-9._:@|+=-]{1,128}$/;
const DEFAULT_EXPIRES_IN_S = 12 * 60 * 60;

export interface MintOptions {
  /** Becomes `sub`. */
  userId: string;
  name?: string;
  email?: string;
  /** Emitted as the `roles` claim (array); `user` is implied by the service. */
  roles?: readonly string[];
  /**
   * Lifetime in seconds (default 43 200 = 12 h). Negative values mint an
   * already expired token, handy for testing 401s.
   */
  expiresIn?: number;
  /**
   * Attack fixtures for the security suite (issue 13 item 12), local only:
   * `noExpiry` leaves `exp` out, `issuedIn` sets `iat` that many seconds
   * from now (positive = in the future), `claims` adds other claims (e.g.
   * `cognito:groups` in OIDC mode); registered claims cannot be overridden.
   */
  noExpiry?: boolean;
  issuedIn?: number;
  claims?: Record<string, unknown>;
}

export interface LocalIssuer {
  /** `iss` of every token: `{baseUrl}/dev`. */
  issuer: string;
  /** `aud` of every token: `chat-local`. */
  audience: string;
  /** `{baseUrl}/dev/.well-known/jwks.json` */
  jwksUri: string;
  kid: string;
  /** The public key set, as served at `jwksUri`. */
  jwks: { keys: JWK[] };
  /** Signs a JWT (RS256) with iss, aud, sub, name?, email?, roles?, iat, exp, jti. */
  mint(options: MintOptions): Promise<string>;
  /** `GET /dev/.well-known/jwks.json`, `GET /dev/.well-known/openid-configuration`, `POST /dev/token`. */
  routes: DevRoute[];
}

/**
 * Creates the issuer for a gateway listening at `baseUrl`
 * (e.g. `http://127.0.0.1:3000`); register `routes` on that gateway.
 */
export async function createIssuer(options: { baseUrl: string; audience?: string }): Promise<LocalIssuer> {
  const base = options.baseUrl.replace(/\/+$/, '');
  const issuer = `${base}/dev`;
  const audience = options.audience ?? LOCAL_AUDIENCE;
  const jwksUri = `${issuer}/.well-known/jwks.json`;
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `local-${randomUUID().slice(0, 8)}`;
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] };

  async function mint(claims: MintOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + (claims.expiresIn ?? DEFAULT_EXPIRES_IN_S);
    // An expired token still needs iat < exp to look like a real (old) token.
    const iat = exp <= now ? exp - DEFAULT_EXPIRES_IN_S : now;
    const payload: Record<string, unknown> = { ...claims.claims };
    for (const registered of ['iss', 'aud', 'sub', 'iat', 'exp', 'nbf', 'jti']) delete payload[registered];
    if (claims.name !== undefined) payload.name = claims.name;
    if (claims.email !== undefined) payload.email = claims.email;
    if (claims.roles !== undefined) payload.roles = [...claims.roles];
    const jwt = new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(claims.userId)
      .setIssuedAt(claims.issuedIn !== undefined ? now + claims.issuedIn : iat)
      .setJti(randomUUID());
    if (!claims.noExpiry) jwt.setExpirationTime(exp);
    return jwt.sign(privateKey);
  }

  const json = (body: unknown, status = 200): DevResponse => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  async function token(req: DevRequest): Promise<DevResponse> {
    let input: unknown;
    try {
      input = req.json();
    } catch {
      return badRequest('The body must be a JSON object such as {"userId":"u1","name":"Ada","roles":["support"]}.');
    }
    const parsed = parseTokenRequest(input);
    if (typeof parsed === 'string') return badRequest(parsed);
    return json({ token: await mint(parsed) });
  }

  const routes: DevRoute[] = [
    { method: 'GET', path: '/dev/.well-known/jwks.json', handler: () => json(jwks) },
    {
      method: 'GET',
      path: '/dev/.well-known/openid-configuration',
      handler: () =>
        json({
          issuer,
          jwks_uri: jwksUri,
          token_endpoint: `${issuer}/token`,
          id_token_signing_alg_values_supported: ['RS256'],
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          claims_supported: ['sub', 'name', 'email', 'roles', 'iss', 'aud', 'exp', 'iat'],
        }),
    },
    { method: 'POST', path: '/dev/token', handler: token },
  ];

  return { issuer, audience, jwksUri, kid, jwks, mint, routes };
}

/** Validates a `POST /dev/token` body; returns the mint options or a one-line reason. */
export function parseTokenRequest(input: unknown): MintOptions | string {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'The body must be a JSON object.';
  const body = input as Record<string, unknown>;
  if (typeof body.userId !== 'string' || !USER_ID.test(body.userId)) {
    return '`userId` must be 1-128 characters of A-Z a-z 0-9 . _ : @ | + = -';
  }
  const out: MintOptions = { userId: body.userId };
  if (body.name !== undefined) {
    if (typeof body.name !== 'string' || body.name.length < 1 || body.name.length > 200) return '`name` must be a string of 1-200 characters.';
    out.name = body.name;
  }
  if (body.email !== undefined) {
    if (typeof body.email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(body.email)) return '`email` must be an e-mail address.';
    out.email = body.email;
  }
  if (body.roles !== undefined) {
    if (!Array.isArray(body.roles) || !body.roles.every((r): r is LocalRole => typeof r === 'string' && (ROLES as readonly string[]).includes(r))) {
      return `\`roles\` must be an array of ${ROLES.join(', ')}.`;
    }
    out.roles = [...new Set(body.roles)];
  }
  if (body.expiresIn !== undefined) {
    if (typeof body.expiresIn !== 'number' || !Number.isInteger(body.expiresIn) || Math.abs(body.expiresIn) > 30 * 24 * 3600) {
      return '`expiresIn` must be an integer number of seconds (at most 30 days; negative = already expired).';
    }
    out.expiresIn = body.expiresIn;
  }
  if (body.noExpiry !== undefined) {
    if (typeof body.noExpiry !== 'boolean') return '`noExpiry` must be true or false.';
    out.noExpiry = body.noExpiry;
  }
  if (body.issuedIn !== undefined) {
    if (typeof body.issuedIn !== 'number' || !Number.isInteger(body.issuedIn) || Math.abs(body.issuedIn) > 366 * 24 * 3600) return '`issuedIn` must be an integer number of seconds.';
    out.issuedIn = body.issuedIn;
  }
  if (body.claims !== undefined) {
    if (typeof body.claims !== 'object' || body.claims === null || Array.isArray(body.claims)) return '`claims` must be a JSON object.';
    out.claims = body.claims as Record<string, unknown>;
  }
  return out;
}

function badRequest(detail: string): DevResponse {
  return {
    status: 400,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ type: 'about:blank', title: 'Bad Request', status: 400, detail, code: 'bad_request' }),
  };
}
