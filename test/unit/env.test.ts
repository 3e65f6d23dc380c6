/**
 * `functions/env.ts`, the environment reader of `functions/config.ts`: the
 * rules its zod schema had (defaults only when unset, an empty value is a
 * value, URLs trimmed, whole numbers > 0), and every problem named at once.
 */
import { describe, expect, it } from 'vitest';
import { env as f, readEnv } from '../../functions/env';

const SHAPE = {
  NAME: f.text({ min: 1 }),
  BUCKET: f.text({ min: 1, fallback: 'unset' }),
  REGION: f.text({ fallback: 'us-east-1' }),
  ENDPOINT: f.url(),
  LOCAL: f.optionalUrl(),
  SECRET: f.optionalText({ min: 32 }),
  WORDS: f.optionalText({ max: 5 }),
  TTL: f.positiveInt(7200),
  RETENTION: f.optionalPositiveInt(),
  HOURS: f.positiveNumber(24),
  MODE: f.oneOf(['cognito', 'oidc'], 'oidc'),
};

const valid = { NAME: 'chat', ENDPOINT: 'https://ws.example.com/prod' };

describe('readEnv', () => {
  it('applies the defaults of unset variables and keeps what is set', () => {
    expect(readEnv(valid, SHAPE)).toEqual({
      NAME: 'chat',
      BUCKET: 'unset',
      REGION: 'us-east-1',
      ENDPOINT: 'https://ws.example.com/prod',
      LOCAL: undefined,
      SECRET: undefined,
      WORDS: undefined,
      TTL: 7200,
      RETENTION: undefined,
      HOURS: 24,
      MODE: 'oidc',
    });
    const set = readEnv({ ...valid, BUCKET: 'b', LOCAL: ' http://127.0.0.1:8000 ', TTL: '60', RETENTION: '30', HOURS: '1.5', MODE: 'cognito' }, SHAPE);
    expect(set).toMatchObject({ BUCKET: 'b', LOCAL: 'http://127.0.0.1:8000', TTL: 60, RETENTION: 30, HOURS: 1.5, MODE: 'cognito' });
  });

  it('refuses bad values, naming every variable at once and never echoing a value', () => {
    const read = () =>
      readEnv({ NAME: '', ENDPOINT: 'not a url', SECRET: 'short-secret', WORDS: 'far too long', TTL: '1.5', RETENTION: '0', HOURS: 'soon', MODE: 'saml', BUCKET: '' }, SHAPE);
    expect(read).toThrow(
      'Invalid configuration: NAME: must have at least 1 character; BUCKET: must have at least 1 character; ENDPOINT: must be a URL; ' +
        'SECRET: must have at least 32 characters; WORDS: must have at most 5 characters; TTL: must be a whole number; ' +
        'RETENTION: must be greater than 0; HOURS: must be a number; MODE: must be one of "cognito", "oidc"',
    );
    expect(() => readEnv({ NAME: 'chat' }, SHAPE)).toThrow('Invalid configuration: ENDPOINT: required, not set');
    expect(() => readEnv({ ...valid, TTL: '' }, SHAPE)).toThrow('TTL: must be greater than 0');
    expect(() => readEnv({ ...valid, TTL: '1e400' }, SHAPE)).toThrow('TTL: must be a number');
    expect(() => readEnv({ ...valid, TTL: String(2 ** 53) }, SHAPE)).toThrow('TTL: must be a whole number');
  });

  it('runs the cross-variable rules only once every variable is valid', () => {
    const refine = (values: { MODE: string; SECRET?: string }, issue: (message: string) => void) => {
      if (values.MODE === 'cognito' && !values.SECRET) issue('MODE=cognito needs SECRET');
    };
    expect(() => readEnv({ ...valid, MODE: 'cognito' }, SHAPE, refine)).toThrow('Invalid configuration: env: MODE=cognito needs SECRET');
    expect(() => readEnv({ ...valid, MODE: 'cognito', TTL: 'x' }, SHAPE, refine)).toThrow(/^Invalid configuration: TTL: must be a number$/);
    expect(readEnv({ ...valid, MODE: 'cognito', SECRET: 'x'.repeat(32) }, SHAPE, refine).MODE).toBe('cognito');
  });
});
