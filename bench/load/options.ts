/**
 * The load test's options: flags, or `LOAD_<NAME>` environment variables
 * (`-` as `_`), with their defaults and checks. See `bench/load.ts`.
 */
import { parseArgs } from 'node:util';

export const DEFAULTS = {
  users: 200,
  groups: 20,
  'group-size': 10,
  direct: 50,
  messages: 450,
  /**
   * Messages per second, all senders together. The local stack spends ~35-50 ms of CPU per message
   * (more than half of it in DynamoDB Local), so 2 idle cores sustain ~40/s (see the capacity phase);
   * 15/s leaves room for a busy machine. Past its capacity, latency grows without bound.
   */
  rate: 15,
  /** WebSocket connections per user. */
  conns: 1,
  /**
   * Then a capacity phase: this many more messages, unpaced (closed loop: as fast as the target
   * answers, `--inflight` at a time), on both targets; 0 skips it.
   */
  capacity: 600,
  /** Closed loop (`--rate 0` and the capacity phase): sends awaiting their answer. */
  inflight: 32,
  /** Cap on the send phase (s); messages not sent by then are skipped. */
  duration: 60,
  /** After the last send: stop waiting when nothing arrived for this long (ms)… */
  'quiet-ms': 5000,
  /** …or at the latest after this long (ms). */
  'drain-ms': 30000,
  /** Parallel HTTP requests / WebSocket handshakes during setup. */
  'setup-concurrency': 16,
  seed: 1,
  /** Where the markdown report goes ('' = nowhere); relative to the repository root. */
  report: 'bench/LOAD.md',
  /** `both`, `stack` or `baseline`. */
  only: 'both',
  /** Directory for a V8 CPU profile of the stack process ('' = none; only for a stack this script starts). */
  'cpu-prof': '',
  /** NODE_OPTIONS for a stack this script starts (e.g. `--import=./diag.mjs`). */
  'stack-node-options': '',
} as const;

export type Options = { -readonly [K in keyof typeof DEFAULTS]: (typeof DEFAULTS)[K] extends number ? number : string };

export const usage = `usage: npm run load -- [--users N] [--groups N] [--group-size N] [--direct N] [--messages N] [--rate MSGS_PER_S]
       [--conns PER_USER] [--capacity MESSAGES] [--inflight N] [--duration S] [--quiet-ms MS] [--drain-ms MS] [--setup-concurrency N] [--seed N]
       [--report PATH|''] [--only both|stack|baseline] [--cpu-prof DIR] [--stack-node-options OPTS]
  env: LOAD_<OPTION> (e.g. LOAD_GROUP_SIZE=10), LOCAL_STACK_URL=http://127.0.0.1:3000 to use a running stack
  defaults: ${Object.entries(DEFAULTS)
    .map(([k, v]) => `--${k} ${v === '' ? "''" : v}`)
    .join(' ')}`;

export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

export function readOptions(): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      options: {
        ...Object.fromEntries(Object.keys(DEFAULTS).map((name) => [name, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    fail(`${(error as Error).message}\n${usage}`);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const out: Record<string, number | string> = {};
  for (const [name, fallback] of Object.entries(DEFAULTS)) {
    const raw = (values[name] as string | undefined) ?? process.env[`LOAD_${name.toUpperCase().replace(/-/g, '_')}`];
    if (typeof fallback === 'number') {
      const value = raw === undefined || raw === '' ? fallback : Number(raw);
      if (!Number.isFinite(value) || value < 0) fail(`--${name} must be a non-negative number, got ${JSON.stringify(raw)}\n${usage}`);
      out[name] = value;
    } else out[name] = raw ?? fallback;
  }
  const o = out as Options;
  for (const name of ['users', 'messages', 'conns', 'group-size', 'setup-concurrency', 'inflight'] as const) {
    if (!(o[name] > 0)) fail(`--${name} must be positive`);
  }
  if (o.users < 2) fail('--users must be at least 2');
  if (o['group-size'] < 2 || o['group-size'] > o.users) fail('--group-size must be between 2 and --users');
  if (!['both', 'stack', 'baseline'].includes(o.only)) fail(`--only must be both, stack or baseline\n${usage}`);
  if (o.groups + o.direct < 1) fail('at least one chat is needed (--groups or --direct)');
  const pairs = (o.users * (o.users - 1)) / 2;
  if (o.direct > pairs) fail(`--direct ${o.direct} exceeds the ${pairs} distinct pairs of ${o.users} users`);
  return o;
}
