/**
 * Throwaway Cognito users for the smoke test: created with
 * `AdminCreateUser` (no invitation message), given a permanent random
 * password (`AdminSetUserPassword`), signed in with `InitiateAuth`
 * `USER_PASSWORD_AUTH` (the stack's app client allows it, `lib/chat-stack.ts`)
 * and removed with `AdminDeleteUser`. Usernames start with `smoke-` so a
 * leftover from an interrupted run is easy to find.
 */
import { randomBytes } from 'node:crypto';
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminSetUserPasswordCommand,
  InitiateAuthCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { ulid } from 'ulid';

export interface SmokeUser {
  username: string;
  /** The JWT `sub`: the user id the API sees. */
  userId: string;
  /** The token the API verifies (`access` or `id`, as `COGNITO_TOKEN_USE`). */
  token: string;
}

type Cognito = Pick<CognitoIdentityProviderClient, 'send'>;

/** The `sub` claim of a JWT (not verified: the API verifies it). Throws when the token has none. */
export function subject(token: string): string {
  const payload = token.split('.')[1];
  const sub = payload ? (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub : undefined;
  if (typeof sub !== 'string') throw new Error('token has no sub claim');
  return sub;
}

/** A password meeting Cognito's default policy (upper, lower, digit, symbol, ≥ 8). */
const password = () => `Sm0ke!${randomBytes(12).toString('base64url')}`;

/**
 * Creates and signs in one user. If sign-in fails the user is deleted again
 * before the error is rethrown, so a failed run leaves nothing behind.
 */
export async function createSmokeUser(cognito: Cognito, pool: { userPoolId: string; clientId: string }, tokenUse: 'access' | 'id' = 'access', label = 'user'): Promise<SmokeUser> {
  const username = `smoke-${label}-${ulid().toLowerCase()}`;
  const secret = password();
  await cognito.send(new AdminCreateUserCommand({ UserPoolId: pool.userPoolId, Username: username, MessageAction: 'SUPPRESS' }));
  try {
    await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: pool.userPoolId, Username: username, Password: secret, Permanent: true }));
    const auth = await cognito.send(
      new InitiateAuthCommand({ ClientId: pool.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD: secret } }),
    );
    const token = tokenUse === 'id' ? auth.AuthenticationResult?.IdToken : auth.AuthenticationResult?.AccessToken;
    if (!token) throw new Error(`sign-in of ${username} returned no ${tokenUse} token${auth.ChallengeName ? ` (challenge ${auth.ChallengeName})` : ''}`);
    return { username, userId: subject(token), token };
  } catch (error) {
    await deleteSmokeUser(cognito, pool, username).catch(() => undefined);
    throw error;
  }
}

/** Deletes a user; one that is already gone (`UserNotFoundException`) counts as deleted. */
export async function deleteSmokeUser(cognito: Cognito, pool: { userPoolId: string }, username: string): Promise<void> {
  try {
    await cognito.send(new AdminDeleteUserCommand({ UserPoolId: pool.userPoolId, Username: username }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'UserNotFoundException') throw error;
  }
}
