/**
 * The local stack's token endpoint for the command-line scripts
 * (`npm run token`, `npm run ws`): `POST http://127.0.0.1:${PORT:-3000}/dev/token`.
 * Local stack only (`local/issuer.ts`); a deployed stack has no such route.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** What `POST /dev/token` accepts (`local/issuer.ts`). */
export interface DevTokenRequest {
  userId: string;
  name?: string;
  email?: string;
  roles?: string[];
  /** Seconds; negative mints an already expired token (for testing 401s). */
  expiresIn?: number;
}

/** `http://127.0.0.1:${PORT}`: the port `npm start` was given, 3000 by default. */
export function localBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return `http://127.0.0.1:${env.PORT || '3000'}`;
}

/** Mints a token; rejects with a one-line message (no stack trace needed) when the stack is not there or refuses. */
export async function mintDevToken(baseUrl: string, request: DevTokenRequest): Promise<string> {
  const url = `${baseUrl}/dev/token`;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  } catch {
    throw new Error(`No local stack answers on ${baseUrl}: start it with \`npm start\` (or set PORT to the port it uses).`);
  }
  const text = await res.text();
  if (!res.ok) {
    let detail = text;
    try {
      detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
    } catch {
      // not JSON: print as is
    }
    throw new Error(`POST ${url} answered ${res.status}: ${detail}`);
  }
  return (JSON.parse(text) as { token: string }).token;
}

/**
 * `node:util` parseArgs reads `--expires-in -60` as two options and refuses
 * it as ambiguous; a negative number after an option that takes a value is
 * that option's value, so this joins the two (`--expires-in=-60`).
 */
export function joinNegativeValues(args: readonly string[], valued: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (valued.includes(arg) && next !== undefined && /^-\d+(\.\d+)?$/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** Prints one line to stderr and exits 1: the scripts' way to fail (no stack trace for a person to read). */
export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/**
 * The scripts' argument parsing: `node:util` parseArgs with positionals and
 * `--help`/`-h` (prints `usage`, exits 0); a parse error prints it with
 * `usage` and exits 1. Negative numbers after `negatable` options are values
 * ({@link joinNegativeValues}).
 */
export function parseCli<O extends ParseArgsConfig['options']>(usage: string, options: O, negatable: readonly string[] = []) {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(process.argv.slice(2), negatable),
      allowPositionals: true,
      options: { ...options, help: { type: 'boolean', short: 'h' } } as O & { help: { type: 'boolean'; short: 'h' } },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return parsed;
}
