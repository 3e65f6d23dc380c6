import { describe, expect, it } from 'vitest';
import { principalFromClaims } from '../../functions/domain/identity';
import { messageId, seqOfMessageId } from '../../functions/domain/ids';
import { bearerToken } from '../../functions/lib/auth-header';

describe('principalFromClaims (SPEC §2)', () => {
  it('takes the name from name, then cognito:username, then email, then the id', () => {
    expect(principalFromClaims({ sub: 'u1', name: 'Ada', 'cognito:username': 'ada', email: 'a@x.io' }).name).toBe('Ada');
    expect(principalFromClaims({ sub: 'u1', 'cognito:username': 'ada', email: 'a@x.io' }).name).toBe('ada');
    expect(principalFromClaims({ sub: 'u1', email: 'a@x.io' }).name).toBe('a@x.io');
    expect(principalFromClaims({ sub: 'u1' }).name).toBe('u1');
  });

  it('reads roles from cognito:groups or a roles claim and always includes user', () => {
    expect(principalFromClaims({ sub: 'u1', 'cognito:groups': ['admin', 'other'] }).roles).toEqual(['user', 'admin']);
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
