/**
 * `npm run token -- <userId> [--name N] [--role R ...] [--email E] [--expires-in SECONDS]`
 *
 * Asks the running local stack (`POST /dev/token` on `http://127.0.0.1:${PORT:-3000}`)
 * for a JWT and prints only the token, so `TOKEN=$(npm run -s token -- alice)` works.
 * Roles: `user`, `support`, `admin` (repeat `--role`, or comma-separate).
 * `--expires-in -60` mints a token that expired a minute ago (for testing 401s).
 * Exit code 1 with one line on stderr when the stack is not running or refuses.
 */
import { fail, localBaseUrl, mintDevToken, parseCli, type DevTokenRequest } from './dev-token';

const usage = 'usage: npm run token -- <userId> [--name N] [--role R ...] [--email E] [--expires-in SECONDS]';

const { values, positionals } = parseCli(
  usage,
  {
    name: { type: 'string' },
    role: { type: 'string', multiple: true },
    email: { type: 'string' },
    'expires-in': { type: 'string' },
  },
  ['--expires-in'],
);
if (positionals.length !== 1) fail(usage);

const body: DevTokenRequest = { userId: positionals[0]! };
if (values.name !== undefined) body.name = values.name;
if (values.email !== undefined) body.email = values.email;
if (values.role?.length) body.roles = values.role.flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean);
if (values['expires-in'] !== undefined) {
  const seconds = Number(values['expires-in']);
  if (!Number.isInteger(seconds)) fail(`--expires-in must be a whole number of seconds, got ${JSON.stringify(values['expires-in'])}\n${usage}`);
  body.expiresIn = seconds;
}

try {
  process.stdout.write(`${await mintDevToken(localBaseUrl(), body)}\n`);
} catch (error) {
  fail((error as Error).message);
}
