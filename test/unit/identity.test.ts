import { describe, expect, it } from 'vitest';
import { checkTokenTimes, MAX_IAT_SKEW_SECONDS, principalFromClaims } from '../../functions/domain/identity';
import { messageId, seqOfMessageId } from '../../functions/domain/ids';
import { bearerToken } from '../../functions/lib/auth-header';

describe('principalFromClaims (SPEC §2)', () => {
  it('takes the name from name, then cognito:username, then email, then the id', () => {
    expect(principalFromClaims({ sub: 'u1', name: 'Ada', 'cognito:username': 'ada', email: 'a@x.io' }).name).toBe('Ada');
    expect(principalFromClaims({ sub: 'u1', 'cognito:username': 'ada', email: 'a@x.io' }).name).toBe('ada');
    expect(principalFromClaims({ sub: 'u1', email: 'a@x.io' }).name).toBe('a@x.io');
    expect(principalFromClaims({ sub: 'u1' }).name).toBe('u1');
  });

  it('marks whether the name came from a name claim (otherwise the directory\'s name wins, issue 19)', () => {
    expect(principalFromClaims({ sub: 'u1', name: 'Ada' }).nameFromToken).toBe(true);
    // A Cognito access token: no name, no email, cognito:username is the sub with e-mail sign-in.
    expect(principalFromClaims({ sub: 'u1', 'cognito:username': 'u1' }).nameFromToken).toBe(false);
    expect(principalFromClaims({ sub: 'u1', email: 'a@x.io' }).nameFromToken).toBe(false);
  });

  it('reads roles from the one claim the mode defines and always includes user (issue 13 item 12)', () => {
    const cognito = { rolesClaim: 'cognito:groups' };
    expect(principalFromClaims({ sub: 'u1', 'cognito:groups': ['admin', 'other'] }, cognito).roles).toEqual(['user', 'admin']);
    expect(principalFromClaims({ sub: 'u1', roles: ['admin'] }, cognito).roles).toEqual(['user']);
    expect(principalFromClaims({ sub: 'u1', 'cognito:groups': ['admin'] }).roles).toEqual(['user']);
    expect(principalFromClaims({ sub: 'u1', realm: ['admin'], roles: ['admin'] }, { rolesClaim: 'realm' }).roles).toEqual(['user', 'admin']);
    expect(principalFromClaims({ sub: 'u1', roles: ['support'] }).roles).toEqual(['user', 'support']);
    expect(principalFromClaims({ sub: 'u1', roles: 'support admin' }).roles).toEqual(['user', 'support', 'admin']);
    expect(principalFromClaims({ sub: 'u1', roles: [{}] }).roles).toEqual(['user']);
  });

  it('refuses subjects outside the id alphabet (they would break key construction)', () => {
    for (const sub of [undefined, '', 'a#b', 'a b', 'x'.repeat(129), 42]) {
      expect(() => principalFromClaims({ sub })).toThrow(expect.objectContaining({ status: 401 }));
    }
    expect(principalFromClaims({ sub: 'auth0|123' }).userId).toBe('auth0|123');
  });
});

describe('checkTokenTimes (issue 13 item 12)', () => {
  const now = 1_800_000_000;
  it('requires a numeric exp', () => {
    for (const exp of [undefined, '1900000000', null, Number.NaN]) expect(() => checkTokenTimes({ exp, iat: now }, now)).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => checkTokenTimes({ exp: now + 60 }, now)).not.toThrow();
  });

  it('bounds iat in the future by the allowed clock skew', () => {
    expect(() => checkTokenTimes({ exp: now + 7200, iat: now + MAX_IAT_SKEW_SECONDS }, now)).not.toThrow();
    expect(() => checkTokenTimes({ exp: now + 7200, iat: now + MAX_IAT_SKEW_SECONDS + 1 }, now)).toThrow(/future/);
    expect(() => checkTokenTimes({ exp: now + 7200, iat: 'soon' }, now)).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => checkTokenTimes({ exp: now + 7200, iat: now - 86_400 }, now)).not.toThrow();
  });
});

describe('message ids', () => {
  it('round-trip the seq and reject anything else', () => {
    const id = messageId('01JD8X3K9M2N4P5Q6R7S8T9V0W', 1234);
    expect(seqOfMessageId(id)).toBe(1234);
    for (const bad of ['', '42', '01JD8X3K9M2N4P5Q6R7S8T9V0W', '01JD8X3K9M2N4P5Q6R7S8T9V0W-', '01JD8X3K9M2N4P5Q6R7S8T9V0W-0', 'x'.repeat(26) + '-1']) {
      expect(seqOfMessageId(bad)).toBeUndefined();
    }
  });
});

describe('bearerToken', () => {
  it('extracts the token of a Bearer header only', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
  });
});
