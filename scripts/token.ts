/**
 * `npm run token -- <userId> [--name N] [--role R ...] [--email E] [--expires-in SECONDS]`
 *
 * Asks the running local stack (`POST /dev/token` on `http://127.0.0.1:${PORT:-3000}`)
 * for a JWT and prints only the token, so `TOKEN=$(npm run -s token -- alice)` works.
 * Roles: `user`, `support`, `admin` (repeat `--role`, or comma-separate).
 */
import { parseArgs } from 'node:util';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const usage = 'usage: npm run token -- <userId> [--name N] [--role R ...] [--email E] [--expires-in SECONDS]';

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      role: { type: 'string', multiple: true },
      email: { type: 'string' },
      'expires-in': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (error) {
  fail(`${(error as Error).message}\n${usage}`);
}
const { values, positionals } = parsed;
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
if (positionals.length !== 1) fail(usage);

const body: Record<string, unknown> = { userId: positionals[0] };
if (values.name !== undefined) body.name = values.name;
if (values.email !== undefined) body.email = values.email;
if (values.role?.length) body.roles = values.role.flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean);
if (values['expires-in'] !== undefined) body.expiresIn = Number(values['expires-in']);

const port = process.env.PORT || '3000';
const url = `http://127.0.0.1:${port}/dev/token`;
let res: Response;
try {
  res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
} catch {
  fail(`No local stack answers on http://127.0.0.1:${port}: start it with \`npm start\` (or set PORT to the port it uses).`);
}
const text = await res.text();
if (!res.ok) {
  let detail = text;
  try {
    detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
  } catch {
    // not JSON: print as is
  }
  fail(`POST ${url} answered ${res.status}: ${detail}`);
}
process.stdout.write(`${(JSON.parse(text) as { token: string }).token}\n`);
