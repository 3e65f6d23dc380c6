/**
 * Token claims → the caller (SPEC §2). Pure, so it is unit-tested apart from
 * signature verification (`lib/auth.ts`).
 *
 * - id = `sub` (restricted to the id alphabet of `schemas.UserId`, else 401);
 * - name = `name`, else `cognito:username`, else `username` (Cognito access
 *   tokens), else `email`, else the id;
 * - roles = `user` plus `support`/`admin` found in `cognito:groups` or a
 *   `roles` claim (array, or a space/comma separated string).
 */
import { UnauthorizedError } from './errors';
import { UserId } from '../schemas';
import type { PlatformRole, Principal } from './types';

export type Claims = Record<string, unknown>;

export function principalFromClaims(claims: Claims): Principal {
  const sub = UserId.safeParse(claims.sub);
  if (!sub.success) throw new UnauthorizedError('The token subject is not a supported user id.');
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 100) : undefined);
  const groups = [claims['cognito:groups'], claims.roles].flatMap((v) => (Array.isArray(v) ? v : typeof v === 'string' ? v.split(/[ ,]+/) : []));
  const roles: PlatformRole[] = ['user'];
  for (const role of ['support', 'admin'] as const) if (groups.includes(role)) roles.push(role);
  const email = str(claims.email);
  return {
    userId: sub.data,
    name: str(claims.name) ?? str(claims['cognito:username']) ?? str(claims.username) ?? email ?? sub.data,
    roles,
    email,
  };
}

