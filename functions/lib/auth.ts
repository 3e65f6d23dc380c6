/**
 * Bearer token verification with aws-jwt-verify (SPEC §2), identical for
 * every HTTP route and for `$connect`, on AWS and locally.
 *
 * - `AUTH_MODE=cognito`: `CognitoJwtVerifier` for the stack's user pool and
 *   app client; access tokens only (`COGNITO_TOKEN_USE=id` accepts ID tokens
 *   instead, never both); roles from `cognito:groups`.
 * - `AUTH_MODE=oidc`: `JwtVerifier` for any OIDC issuer (issuer, audience,
 *   JWKS URI). aws-jwt-verify fetches JWKS over https only; a JWKS URI on a
 *   loopback address (the local token issuer) is fetched over plain http,
 *   and nothing else is, so no deployed configuration can downgrade it.
 *
 * Signature, issuer, audience/client id and expiry are all checked by the
 * library; `exp` must be present and `iat` at most 60 s ahead
 * (`checkTokenTimes`); roles come from the mode's one claim
 * (`config.ROLES_CLAIM`). Every failure is a 401.
 */
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import { FetchError, JwtExpiredError } from 'aws-jwt-verify/error';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import * as config from '../config';
import { checkTokenTimes, principalFromClaims } from '../domain/identity';
import type { Principal } from '../domain/types';
import { ServiceUnavailableError, UnauthorizedError } from '../domain/errors';
import { logger } from './logger';

type Verify = (token: string) => Promise<JwtPayload>;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Fetches https as usual, and http only from loopback hosts (the local issuer). */
class LoopbackAwareFetcher extends SimpleFetcher {
  override async fetch(uri: string, requestOptions?: Record<string, unknown>, data?: ArrayBuffer): Promise<ArrayBuffer> {
    const url = new URL(uri);
    if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) {
      const response = await fetch(uri);
      if (!response.ok) throw new Error(`JWKS fetch failed with ${response.status}`);
      return response.arrayBuffer();
    }
    return super.fetch(uri, requestOptions, data);
  }
}

let verify: Verify | undefined;

function verifier(): Verify {
  if (verify) return verify;
  if (config.AUTH_MODE === 'cognito') {
    const v = CognitoJwtVerifier.create({
      userPoolId: config.COGNITO_USER_POOL_ID!,
      clientId: config.COGNITO_CLIENT_ID!,
      tokenUse: config.COGNITO_TOKEN_USE,
    });
    verify = (token) => v.verify(token) as Promise<JwtPayload>;
  } else {
    const v = JwtVerifier.create(
      { issuer: config.OIDC_ISSUER!, audience: config.OIDC_AUDIENCE!, jwksUri: config.OIDC_JWKS_URI! },
      { jwksCache: new SimpleJwksCache({ fetcher: new LoopbackAwareFetcher() }) },
    );
    verify = (token) => v.verify(token) as Promise<JwtPayload>;
  }
  return verify;
}

/**
 * Verifies a JWT and maps its claims to the caller (`principalFromClaims`).
 *
 * Errors: 401 for any invalid token or a `sub` outside the id alphabet (the
 * `detail` says when the token has expired); 503 when the issuer's JWKS
 * cannot be fetched.
 */
export async function authenticate(token: string | undefined): Promise<Principal> {
  if (!token) throw new UnauthorizedError();
  let claims: JwtPayload;
  try {
    claims = await verifier()(token);
  } catch (error) {
    if (error instanceof FetchError) {
      logger.error('JWKS unavailable', { error: error as Error });
      throw new ServiceUnavailableError();
    }
    // Expiry is checked after the signature, so only a genuine token of ours is told it expired.
    if (error instanceof JwtExpiredError) throw new UnauthorizedError('The bearer token has expired; get a new one.');
    throw new UnauthorizedError('The bearer token is invalid.');
  }
  checkTokenTimes(claims, Math.floor(Date.now() / 1000));
  return principalFromClaims(claims, { rolesClaim: config.ROLES_CLAIM });
}

export { bearerToken } from './auth-header';
