/**
 * A small typed reader of environment variables for `functions/config.ts`,
 * with the rules its zod schema had (issue 20: building that schema, ~60
 * zod fields, and parsing it once was ≈ 0.05 × the cold-start baseline in
 * every function, more than the route's own schemas; these plain checks cost
 * nothing measurable).
 *
 * Each field reads one variable, as `process.env` holds it (a string, or
 * undefined when unset), and answers its value or throws an {@link EnvIssue}
 * with a message. `readEnv` collects every field's issue, so a bad
 * deployment names all its mistakes at once.
 */

/** One variable's problem: the message `readEnv` reports under the variable's name. */
export class EnvIssue extends Error {}

/** Reads one variable: its value, or throws {@link EnvIssue}. */
export type EnvField<T> = (raw: string | undefined) => T;

type Shape = Record<string, EnvField<unknown>>;
/** The values `readEnv` answers for a shape. */
export type EnvOf<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

const required = (raw: string | undefined): string => {
  if (raw === undefined) throw new EnvIssue('required, not set');
  return raw;
};

interface TextRules {
  /** Fewest characters (an empty value counts: `min: 1` refuses `NAME=`). */
  min?: number;
  max?: number;
}

function checkText(value: string, { min, max }: TextRules): string {
  if (min !== undefined && value.length < min) throw new EnvIssue(`must have at least ${min} character${min === 1 ? '' : 's'}`);
  if (max !== undefined && value.length > max) throw new EnvIssue(`must have at most ${max} characters`);
  return value;
}

/** A URL `new URL()` accepts (WHATWG), surrounding white space trimmed. */
function checkUrl(value: string): string {
  const trimmed = value.trim();
  if (!URL.canParse(trimmed)) throw new EnvIssue('must be a URL');
  return trimmed;
}

/** A finite number (`Number(text)`, so `1e3` and ` 7 ` count; an empty value is 0), above 0, and whole when `integer`. */
function checkPositive(raw: string, integer: boolean): number {
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new EnvIssue('must be a number');
  if (integer && !Number.isSafeInteger(value)) throw new EnvIssue('must be a whole number');
  if (value <= 0) throw new EnvIssue('must be greater than 0');
  return value;
}

/** Field builders: `text()` is required, `text({ fallback })` defaults, `optionalText()` may be unset. */
export const env = {
  text:
    (rules: TextRules & { fallback?: string } = {}): EnvField<string> =>
    (raw) =>
      checkText(raw ?? rules.fallback ?? required(raw), rules),
  optionalText:
    (rules: TextRules = {}): EnvField<string | undefined> =>
    (raw) =>
      raw === undefined ? undefined : checkText(raw, rules),
  url: (): EnvField<string> => (raw) => checkUrl(required(raw)),
  optionalUrl: (): EnvField<string | undefined> => (raw) => (raw === undefined ? undefined : checkUrl(raw)),
  /** A whole number > 0; `fallback` when unset. */
  positiveInt:
    (fallback: number): EnvField<number> =>
    (raw) =>
      raw === undefined ? fallback : checkPositive(raw, true),
  optionalPositiveInt: (): EnvField<number | undefined> => (raw) => (raw === undefined ? undefined : checkPositive(raw, true)),
  /** A number > 0, fractions allowed; `fallback` when unset. */
  positiveNumber:
    (fallback: number): EnvField<number> =>
    (raw) =>
      raw === undefined ? fallback : checkPositive(raw, false),
  /** One of `values`, exactly; `fallback` when unset. */
  oneOf:
    <const V extends readonly string[]>(values: V, fallback: V[number]): EnvField<V[number]> =>
    (raw) => {
      if (raw === undefined) return fallback;
      if (!values.includes(raw)) throw new EnvIssue(`must be one of ${values.map((v) => `"${v}"`).join(', ')}`);
      return raw as V[number];
    },
};

/**
 * Reads every field of `shape` from `source` (`process.env`). `refine` runs
 * only when every field was valid and reports cross-field problems with
 * `issue(message)`. Throws `Invalid configuration: NAME: message; …` naming
 * every problem (the variables' values are never echoed: some are secrets).
 */
export function readEnv<S extends Shape>(source: Readonly<Record<string, string | undefined>>, shape: S, refine?: (values: EnvOf<S>, issue: (message: string) => void) => void): EnvOf<S> {
  const values: Record<string, unknown> = {};
  const issues: string[] = [];
  for (const [name, field] of Object.entries(shape)) {
    try {
      values[name] = field(source[name]);
    } catch (error) {
      if (!(error instanceof EnvIssue)) throw error;
      issues.push(`${name}: ${error.message}`);
    }
  }
  if (issues.length === 0) refine?.(values as EnvOf<S>, (message) => issues.push(`env: ${message}`));
  if (issues.length) throw new Error(`Invalid configuration: ${issues.join('; ')}`);
  return values as EnvOf<S>;
}
