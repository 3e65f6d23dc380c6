/**
 * Token claims → the caller (SPEC §2). Pure, so it is unit-tested apart from
 * signature verification (`lib/auth.ts`).
 *
 * - id = `sub` (restricted to the id alphabet of `schemas.UserId`, else 401);
 * - name = `name`, else `cognito:username`, else `username` (Cognito access
 *   tokens), else `email`, else the id; without a `name` claim the
 *   directory's name wins (`recordCaller`: what `PUT /v1/users` provisioned);
 * - roles = `user` plus `support`/`admin` found in the ONE claim the auth
 *   mode defines (`cognito:groups` in Cognito mode, `roles` or the configured
 *   `OIDC_ROLES_CLAIM` in OIDC mode; an array, or a space/comma separated
 *   string). A role in any other claim is ignored (issue 13 item 12: an
 *   issuer that lets users set custom claims must not make them admins).
 *
 * `checkTokenTimes` adds what aws-jwt-verify leaves optional: `exp` must be
 * present, and `iat`, when present, no further in the future than the
 * allowed clock skew.
 */
import { UnauthorizedError } from './errors';
import { isBlank, stripDisplayText, toWellFormed } from './text';
import { UserId } from '../schemas';
import type { PlatformRole, Principal } from './types';

export type Claims = Record<string, unknown>;

export interface ClaimOptions {
  /** The claim roles are read from (default `roles`, the OIDC mode's default). */
  readonly rolesClaim?: string;
}

/** Seconds an `iat` may lie in the future (clock skew between the issuer and Lambda). */
export const MAX_IAT_SKEW_SECONDS = 60;

/**
 * Throws 401 for a token without a numeric `exp` (it would never expire), or
 * whose `iat` is more than `maxSkewSeconds` after `nowSeconds` (minted with a
 * future date to outlive a key rotation or a revocation). `exp` in the past
 * and `nbf` are checked by aws-jwt-verify.
 */
export function checkTokenTimes(claims: Claims, nowSeconds: number, maxSkewSeconds = MAX_IAT_SKEW_SECONDS): void {
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw new UnauthorizedError('The bearer token has no expiry (exp); tokens must expire.');
  if (claims.iat !== undefined && (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat) || claims.iat > nowSeconds + maxSkewSeconds)) {
    throw new UnauthorizedError('The bearer token is issued in the future (iat); check the issuer\'s clock.');
  }
}

export function principalFromClaims(claims: Claims, options: ClaimOptions = {}): Principal {
  const sub = UserId.safeParse(claims.sub);
  if (!sub.success) throw new UnauthorizedError('The token subject is not a supported user id.');
  // Display text from the issuer gets the same treatment as names sent to the API (issue 13 items 13, 14).
  const str = (v: unknown) => {
    if (typeof v !== 'string') return undefined;
    const text = [...stripDisplayText(toWellFormed(v)).trim()].slice(0, 100).join('');
    return isBlank(text) ? undefined : text;
  };
  const claim = claims[options.rolesClaim ?? 'roles'];
  const groups = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/[ ,]+/) : [];
  const roles: PlatformRole[] = ['user'];
  for (const role of ['support', 'admin'] as const) if (groups.includes(role)) roles.push(role);
  const email = str(claims.email);
  const name = str(claims.name);
  return {
    userId: sub.data,
    name: name ?? str(claims['cognito:username']) ?? str(claims.username) ?? email ?? sub.data,
    nameFromToken: name !== undefined,
    roles,
    email,
    // A WebSocket connection lives no longer than its token (SPEC §6); HTTP checks `exp` on every request.
    tokenExpiresAt: typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : undefined,
  };
}

