/**
 * `npm run load [-- --users 200 --groups 20 ...]`: drives the local stack
 * with many real WebSocket clients and reports delivery quality and speed,
 * then runs the very same traffic against a bare `ws` broadcast server (the
 * machine's ceiling for this traffic shape) and prints both and their ratio.
 * The report is also written to `bench/LOAD.md` (`--report ''` skips it).
 *
 * 1. Starts its own local stack on free ports (`LOCAL_STACK_URL` set: uses
 *    that one instead; it must be on a loopback address).
 * 2. Mints a token per user and calls `GET /v1/me` once each (that puts the
 *    user in the directory), creates `--groups` group chats of `--group-size`
 *    random members and `--direct` direct chats between random pairs.
 * 3. Opens `--conns` WebSocket(s) per user, then sends `--messages`
 *    `sendMessage` frames at `--rate` per second (open loop: the pace does
 *    not wait for answers; `--rate 0`: closed loop, as fast as the target
 *    answers with `--inflight` sends outstanding, which measures capacity),
 *    each from a random member into a random chat, with a unique
 *    `clientMessageId` and `metadata.sentAt`.
 * 4. Every connection records every `message.new`; after the sends, waits
 *    until everything expected has arrived, or nothing arrived for
 *    `--quiet-ms`, or `--drain-ms` passed, then reports.
 *
 * Figures: expected = Σ over messages not refused of their chat's
 * participants' connections (the sender's own connection included: SPEC §6
 * sends events to the actor too); lost = expected − delivered; duplicated =
 * the same message id twice on one connection; out-of-order = per connection
 * and chat, a `seq` lower than the last one seen (split into "between
 * concurrent sends", which the README's "Order" section allows, and "between
 * sequential ones": the lower seq was acked before the higher one was even
 * sent, which would be a delivery bug); latency = send → delivery
 * on the receiving connection (one process, one monotonic clock);
 * deliveries/s = delivered ÷ (last delivery − first send).
 *
 * Options (flag, or env `LOAD_<NAME>` with `-` as `_`): see `DEFAULTS`.
 * `--cpu-prof DIR` writes a V8 CPU profile of the stack process to DIR (open
 * it in Chrome DevTools) and adds where the stack's main thread spent its
 * time during each run to the output and the report (`scripts/cpu-profile.ts`).
 * `--only stack|baseline`.
 * Everything listens on and talks to 127.0.0.1 only; every loop and wait is
 * bounded, and the stack it started is stopped on exit (also on Ctrl-C).
 *
 * Exit code 1 when the local stack lost, duplicated, misrouted or
 * sequentially reordered a delivery (or the run could not be set up).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';
import { mintToken, startLocalStack, type LocalStack } from '../local/launcher';
import { CATEGORIES, CATEGORY_CONTENTS, summariseCpuProfile, type CpuProfile, type CpuProfileSummary, type ProfileWindow } from './cpu-profile';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// ------------------------------------------------------------------ options

const DEFAULTS = {
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

type Options = { -readonly [K in keyof typeof DEFAULTS]: (typeof DEFAULTS)[K] extends number ? number : string };

const usage = `usage: npm run load -- [--users N] [--groups N] [--group-size N] [--direct N] [--messages N] [--rate MSGS_PER_S]
       [--conns PER_USER] [--capacity MESSAGES] [--inflight N] [--duration S] [--quiet-ms MS] [--drain-ms MS] [--setup-concurrency N] [--seed N]
       [--report PATH|''] [--only both|stack|baseline] [--cpu-prof DIR] [--stack-node-options OPTS]
  env: LOAD_<OPTION> (e.g. LOAD_GROUP_SIZE=10), LOCAL_STACK_URL=http://127.0.0.1:3000 to use a running stack
  defaults: ${Object.entries(DEFAULTS)
    .map(([k, v]) => `--${k} ${v === '' ? "''" : v}`)
    .join(' ')}`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function readOptions(): Options {
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

// ------------------------------------------------------------------ traffic plan

interface PlanChat {
  type: 'group' | 'direct';
  /** Indices into `Plan.users`; the first one creates the chat. */
  members: number[];
}

interface PlanMessage {
  chat: number;
  sender: number;
}

interface Plan {
  runId: string;
  users: string[];
  chats: PlanChat[];
  /** Chat indices of each user. */
  chatsOf: number[][];
  /** The paced phase. */
  messages: PlanMessage[];
  /** The capacity phase. */
  capacityMessages: PlanMessage[];
}

/** One measured phase: which messages, how fast (0 = closed loop), and a tag that keeps its clientMessageIds apart. */
interface Phase {
  name: 'paced' | 'capacity';
  tag: string;
  messages: PlanMessage[];
  rate: number;
}

/** mulberry32: a small seeded PRNG, so both runs (and reruns) get the same traffic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makePlan(o: Options): Plan {
  const random = prng(o.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const runId = randomBytes(4).toString('hex');
  const users = Array.from({ length: o.users }, (_, i) => `load-${runId}-u${i}`);
  const chats: PlanChat[] = [];
  for (let g = 0; g < o.groups; g++) {
    // Partial Fisher-Yates: `group-size` distinct members.
    const pool = users.map((_, i) => i);
    for (let i = 0; i < o['group-size']; i++) {
      const j = i + pick(pool.length - i);
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    chats.push({ type: 'group', members: pool.slice(0, o['group-size']) });
  }
  const pairs = new Set<string>();
  while (pairs.size < o.direct) {
    const a = pick(o.users);
    const b = pick(o.users);
    if (a === b) continue;
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    if (pairs.has(key)) continue;
    pairs.add(key);
    chats.push({ type: 'direct', members: [a, b] });
  }
  const chatsOf: number[][] = users.map(() => []);
  chats.forEach((chat, c) => chat.members.forEach((u) => chatsOf[u].push(c)));
  const message = (): PlanMessage => {
    const chat = pick(chats.length);
    const members = chats[chat].members;
    return { chat, sender: members[pick(members.length)] };
  };
  const messages = Array.from({ length: o.messages }, message);
  const capacityMessages = Array.from({ length: o.rate > 0 ? o.capacity : 0 }, message);
  return { runId, users, chats, chatsOf, messages, capacityMessages };
}

// ------------------------------------------------------------------ measurement

/** What a run needs from its target: a WebSocket URL per user and the id of each planned chat. */
interface Target {
  name: string;
  wsUrl(user: number): string;
  chatIds: string[];
  /** Processes whose CPU time to report, by label (Linux only). */
  processes?: () => Record<string, number[]>;
  /** A process whose main thread's CPU time to measure too (the stack's event loop; Linux only). */
  mainThread?: number;
}

interface RunResult {
  name: string;
  phase: Phase['name'];
  /** Messages per second asked for; 0 = closed loop. */
  rate: number;
  connections: number;
  connectMs: number;
  sent: number;
  skipped: number;
  sendSeconds: number;
  acksOk: number;
  ackErrors: number;
  ackErrorCodes: Record<string, number>;
  acksMissing: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /**
   * Out-of-order deliveries where the earlier-seq message had been acked before the later one was
   * even sent: impossible unless delivery is broken (the others are concurrent sends, see README "Order").
   */
  outOfOrderSequential: number;
  /** A few out-of-order deliveries, explained. */
  outOfOrderExamples: string[];
  unexpected: number;
  latency: Percentiles;
  ackLatency: Percentiles;
  deliveriesPerSecond: number;
  /** Seconds from the first send to the last delivery. */
  spanSeconds: number;
  drainMs: number;
  drainEndedBy: 'complete' | 'quiet' | 'cap';
  /** Machine-wide CPU busy share during the send+drain phase (0-1), and this process' share of one core. */
  machineCpu: number;
  clientCpu: number;
  /** Other processes' CPU during the send+drain phase, in cores (1 = one core busy). */
  processCpu: Record<string, number>;
  /** Seconds of the send + drain phase. */
  wallSeconds: number;
  /** The send + drain phase in µs of CLOCK_MONOTONIC (`process.hrtime`), the clock of V8 CPU profiles. */
  windowUs: ProfileWindow;
  /** `--cpu-prof`: the stack's main thread over `windowUs`. */
  cpuProfile?: CpuProfileSummary;
  /** CPU seconds of the target's main thread over the send + drain phase (NaN: not measured). */
  mainThreadCpuSeconds: number;
  otherEvents: Record<string, number>;
  closedEarly: number;
}

interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function percentiles(values: Float64Array, count: number): Percentiles {
  if (count === 0) return { count, p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const sorted = values.slice(0, count).sort();
  const at = (p: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil(p * count) - 1))];
  return { count, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[count - 1] };
}

/** utime+stime of each process, in seconds (Linux; missing processes count 0). */
function processSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** utime+stime of one thread, in seconds (Linux; NaN elsewhere or when gone). */
function threadSeconds(pid: number, tid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** A process and all its descendants (Linux; [] elsewhere). */
function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        let list = parents.get(ppid);
        if (!list) parents.set(ppid, (list = []));
        list.push(Number(entry));
      } catch {
        // gone
      }
    }
  } catch {
    return [];
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const child of parents.get(p) ?? []) walk(child);
  };
  walk(pid);
  return out;
}

/** The pid of the `local/start.ts` process listening on `port` (Linux; undefined elsewhere). */
function findStackPid(port: number): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('local/start.ts')) continue;
        if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`PORT=${port}`)) return Number(entry);
      } catch {
        // gone or not ours
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}

/** The stack's node process and DynamoDB Local (its descendants), for CPU figures. */
function stackProcesses(pid: number): () => Record<string, number[]> {
  return () => ({ 'stack (node)': [pid], 'DynamoDB Local (java)': processTree(pid).filter((p) => p !== pid) });
}

/** Machine-wide busy/total jiffies (Linux; zeros elsewhere). */
function cpuTimes(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** Runs `fn` over `items` with at most `limit` in flight; rejects on the first failure. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function openSocket(url: string, timeoutMs = 15_000): Promise<WebSocket> {
  return new Promise((done, fail) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      fail(new Error('WebSocket handshake timed out'));
    }, timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      done(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      ws.terminate();
      fail(new Error(`WebSocket upgrade refused with HTTP ${res.statusCode}`));
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
  });
}

/**
 * Connects every user, sends the planned messages at the planned pace and
 * measures what arrives. The target must already have the users and chats.
 */
async function runTraffic(target: Target, plan: Plan, phase: Phase, o: Options): Promise<RunResult> {
  const messages = phase.messages;
  const M = messages.length;
  const prefix = `${plan.runId}${phase.tag}-`;
  const chatIndex = new Map(target.chatIds.map((id, c) => [id, c]));

  // Per message: send time, ack state, ack latency.
  const sentAt = new Float64Array(M).fill(NaN);
  const ackState = new Uint8Array(M); // 0 none, 1 ok, 2 error
  const ackLatencies = new Float64Array(M);
  let ackCount = 0;
  const ackErrorCodes: Record<string, number> = {};

  let expectedMax = 0;
  for (const m of messages) expectedMax += plan.chats[m.chat].members.length * o.conns;
  const latencies = new Float64Array(expectedMax);
  let delivered = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let outOfOrderSequential = 0;
  /** Start of the send phase (performance.now()). */
  let started = 0;
  const outOfOrderExamples: string[] = [];
  // Per message: when it was acked; per chat and seq: the message.
  const ackedAt = new Float64Array(M).fill(NaN);
  const bySeq = new Map<string, number>();
  let unexpected = 0;
  let lastProgress = 0;
  let lastDelivery = 0;
  const otherEvents: Record<string, number> = {};

  interface Client {
    user: number;
    ws: WebSocket;
    seen: Set<string>;
    /** Last seq per chat index. */
    lastSeq: Map<number, number>;
    member: Set<number>;
  }
  const clients: Client[] = [];

  const onFrame = (client: Client, raw: WebSocket.RawData) => {
    const now = performance.now();
    let frame: any;
    try {
      frame = JSON.parse(raw.toString());
    } catch {
      otherEvents['(not JSON)'] = (otherEvents['(not JSON)'] ?? 0) + 1;
      return;
    }
    const type = frame?.type;
    if (type === 'message.new') {
      const message = frame.message ?? {};
      const cmid: unknown = message.clientMessageId;
      const index = typeof cmid === 'string' && cmid.startsWith(prefix) ? Number(cmid.slice(prefix.length)) : NaN;
      if (!(index >= 0 && index < M)) {
        otherEvents['message.new (other run)'] = (otherEvents['message.new (other run)'] ?? 0) + 1;
        return;
      }
      const c = chatIndex.get(frame.chatId);
      if (c === undefined || !client.member.has(c) || c !== messages[index].chat) {
        unexpected++;
        return;
      }
      lastProgress = now;
      const id = String(message.id);
      if (client.seen.has(id)) {
        duplicated++;
        return;
      }
      client.seen.add(id);
      const seq = Number(message.seq);
      bySeq.set(`${c}:${seq}`, index);
      const last = client.lastSeq.get(c);
      if (last !== undefined && seq < last) {
        outOfOrder++;
        const other = bySeq.get(`${c}:${last}`);
        if (other !== undefined && ackedAt[index] < sentAt[other]) outOfOrderSequential++;
        if (outOfOrderExamples.length < 5) {
          const t = (i: number | undefined) =>
            i === undefined ? '?' : `${fmt(sentAt[i] - started, 0)} ms${Number.isNaN(ackedAt[i]) ? '' : `, acked ${fmt(ackedAt[i] - sentAt[i], 0)} ms later`}`;
          const who = (i: number | undefined) => (i === undefined ? '?' : `u${messages[i].sender}`);
          outOfOrderExamples.push(
            `chat ${c} (${plan.chats[c].type}) on u${client.user}'s connection: seq ${seq} (message ${index}, sent at ${t(index)} by ${who(index)}) ` +
              `arrived ${fmt(now - sentAt[index], 0)} ms after its send, after seq ${last} (message ${other ?? '?'}, sent at ${t(other)} by ${who(other)})`,
          );
        }
      } else client.lastSeq.set(c, seq);
      if (delivered < latencies.length) latencies[delivered] = now - sentAt[index];
      delivered++;
      lastDelivery = now;
      return;
    }
    if ((type === 'ack' || type === 'error') && typeof frame.requestId === 'string' && frame.requestId.startsWith(prefix)) {
      const index = Number(frame.requestId.slice(prefix.length));
      if (index >= 0 && index < M && ackState[index] === 0) {
        lastProgress = now;
        ackState[index] = type === 'ack' ? 1 : 2;
        ackedAt[index] = now;
        const c = messages[index].chat;
        if (type === 'ack' && typeof frame.message?.seq === 'number') bySeq.set(`${c}:${frame.message.seq}`, index);
        ackLatencies[ackCount++] = now - sentAt[index];
        if (type === 'error') {
          const code = String(frame.code ?? frame.message ?? 'error');
          ackErrorCodes[code] = (ackErrorCodes[code] ?? 0) + 1;
        }
      }
      return;
    }
    // API Gateway's own error frame ({message, connectionId, requestId}) has no type.
    const key = typeof type === 'string' ? type : typeof frame?.message === 'string' ? `(gateway: ${frame.message})` : '(untyped)';
    otherEvents[key] = (otherEvents[key] ?? 0) + 1;
  };

  // ---------------------------------------------------------------- connect
  const connectStarted = performance.now();
  const slots = plan.users.flatMap((_, user) => Array.from({ length: o.conns }, () => user));
  let closedEarly = 0;
  let state: 'running' | 'closing' = 'running';
  try {
    await forEachLimited(slots, o['setup-concurrency'], async (user) => {
      const ws = await openSocket(target.wsUrl(user));
      const client: Client = { user, ws, seen: new Set(), lastSeq: new Map(), member: new Set(plan.chatsOf[user]) };
      clients.push(client);
      ws.on('message', (data) => onFrame(client, data));
      ws.on('error', () => undefined);
      ws.on('close', () => {
        if (state === 'running') closedEarly++;
      });
    });
  } catch (error) {
    for (const client of clients) client.ws.terminate();
    throw new Error(`${target.name}: connecting ${slots.length} WebSockets failed after ${clients.length}: ${(error as Error).message}`);
  }
  const connectMs = performance.now() - connectStarted;
  // The first socket of each user sends that user's messages.
  const senderSocket: WebSocket[] = [];
  for (const client of clients) senderSocket[client.user] ??= client.ws;

  // Let connect-time events (presence) settle so they do not overlap the first sends.
  await sleep(500);

  // ---------------------------------------------------------------- send
  // `--rate N`: open loop, paced (the pace never waits for answers). `--rate 0`: closed loop, as fast as
  // the target answers, with at most `--inflight` sends unanswered (a send unanswered for 35 s stops counting).
  const groups = target.processes?.() ?? {};
  const groupCpu0 = Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, processSeconds(pids)]));
  const cpu0 = cpuTimes();
  const own0 = process.cpuUsage();
  const mainThread0 = target.mainThread === undefined ? NaN : threadSeconds(target.mainThread, target.mainThread);
  const startUs = monotonicUs();
  started = performance.now();
  const capMs = o.duration * 1000;
  const intervalMs = phase.rate > 0 ? 1000 / phase.rate : 0;
  let sent = 0;
  let oldestOpen = 0; // closed loop: every send before this one is answered
  while (sent < M) {
    const elapsed = performance.now() - started;
    if (elapsed > capMs) break;
    let due: number;
    if (phase.rate > 0) due = Math.min(M, Math.floor(elapsed / intervalMs) + 1);
    else {
      const now = performance.now();
      while (oldestOpen < sent && (ackState[oldestOpen] !== 0 || now - sentAt[oldestOpen] > 35_000)) oldestOpen++;
      let answered = 0;
      for (let i = oldestOpen; i < sent; i++) if (ackState[i] !== 0 || now - sentAt[i] > 35_000) answered++;
      due = Math.min(M, oldestOpen + answered + o.inflight);
    }
    while (sent < due) {
      const i = sent++;
      const { chat, sender } = messages[i];
      const epoch = Date.now();
      sentAt[i] = performance.now();
      const socket = senderSocket[sender];
      if (socket.readyState !== WebSocket.OPEN) continue; // counted as lost: its connection closed early
      socket.send(
        JSON.stringify({
          action: 'sendMessage',
          requestId: `${prefix}${i}`,
          chatId: target.chatIds[chat],
          clientMessageId: `${prefix}${i}`,
          content: `load message ${i} of run ${plan.runId}, sent at ${new Date(epoch).toISOString()}`,
          metadata: { sentAt: epoch, load: plan.runId },
        }),
      );
    }
    if (sent >= M) break;
    // Bounded: one pass per interval (closed loop: per millisecond) at most, and the loop ends at M or the cap.
    if (phase.rate > 0) await sleep(Math.max(1, Math.min(50, started + sent * intervalMs - performance.now())));
    else await sleep(1);
  }
  const sendSeconds = (performance.now() - started) / 1000;

  // ---------------------------------------------------------------- drain
  const expectedNow = () => {
    let expected = 0;
    for (let i = 0; i < sent; i++) if (ackState[i] !== 2) expected += plan.chats[messages[i].chat].members.length * o.conns;
    return expected;
  };
  const drainStarted = performance.now();
  lastProgress = Math.max(lastProgress, drainStarted);
  let drainEndedBy: RunResult['drainEndedBy'] = 'cap';
  for (;;) {
    const now = performance.now();
    if (ackCount >= sent && delivered + unexpected >= expectedNow()) {
      drainEndedBy = 'complete';
      break;
    }
    if (now - lastProgress > o['quiet-ms']) {
      drainEndedBy = 'quiet';
      break;
    }
    if (now - drainStarted > o['drain-ms']) break;
    await sleep(50);
  }
  const drainMs = performance.now() - drainStarted;
  const cpu1 = cpuTimes();
  const own1 = process.cpuUsage(own0);
  const wallSeconds = (performance.now() - started) / 1000;
  const endUs = monotonicUs();
  const mainThreadCpuSeconds = target.mainThread === undefined ? NaN : threadSeconds(target.mainThread, target.mainThread) - mainThread0;
  const processCpu = Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, (processSeconds(pids) - groupCpu0[k]) / wallSeconds]));

  // ---------------------------------------------------------------- close (bounded)
  state = 'closing';
  await Promise.all(
    clients.map(
      (client) =>
        new Promise<void>((done) => {
          if (client.ws.readyState === WebSocket.CLOSED) return done();
          const timer = setTimeout(() => {
            client.ws.terminate();
            done();
          }, 5000);
          client.ws.once('close', () => {
            clearTimeout(timer);
            done();
          });
          client.ws.close(1000);
        }),
    ),
  );

  const expected = expectedNow();
  let acksOk = 0;
  let ackErrors = 0;
  for (let i = 0; i < sent; i++) {
    if (ackState[i] === 1) acksOk++;
    else if (ackState[i] === 2) ackErrors++;
  }
  const spanSeconds = delivered > 0 ? (lastDelivery - started) / 1000 : 0;
  return {
    name: target.name,
    phase: phase.name,
    rate: phase.rate,
    connections: clients.length,
    connectMs,
    sent,
    skipped: M - sent,
    sendSeconds,
    acksOk,
    ackErrors,
    ackErrorCodes,
    acksMissing: sent - acksOk - ackErrors,
    expected,
    delivered,
    lost: Math.max(0, expected - delivered),
    duplicated,
    outOfOrder,
    outOfOrderSequential,
    outOfOrderExamples,
    unexpected,
    latency: percentiles(latencies, Math.min(delivered, latencies.length)),
    ackLatency: percentiles(ackLatencies, ackCount),
    deliveriesPerSecond: spanSeconds > 0 ? delivered / spanSeconds : 0,
    spanSeconds,
    drainMs,
    drainEndedBy,
    machineCpu: cpu1.total > cpu0.total ? (cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total) : NaN,
    clientCpu: (own1.user + own1.system) / 1e6 / wallSeconds,
    processCpu,
    wallSeconds,
    windowUs: { startUs, endUs },
    mainThreadCpuSeconds,
    otherEvents,
    closedEarly,
  };
}

// ------------------------------------------------------------------ targets

/** Users in the directory, chats created over HTTP; answers the target. */
async function prepareStack(baseUrl: string, wsBase: string, plan: Plan, o: Options, mint: (userId: string) => Promise<string>): Promise<Target> {
  const tokens: string[] = new Array(plan.users.length);
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as any;
  };
  await forEachLimited(plan.users, o['setup-concurrency'], async (userId, i) => {
    tokens[i] = await mint(userId);
    await call(tokens[i], 'GET', '/v1/me');
  });
  const chatIds: string[] = new Array(plan.chats.length);
  await forEachLimited(plan.chats, o['setup-concurrency'], async (chat, c) => {
    const [creator, ...others] = chat.members;
    const body =
      chat.type === 'group'
        ? { type: 'group', title: `load ${plan.runId} group ${c}`, participantIds: others.map((u) => plan.users[u]) }
        : { type: 'direct', participantIds: [plan.users[others[0]]] };
    chatIds[c] = (await call(tokens[creator], 'POST', '/v1/chats', body)).chat.id;
  });
  const pid = findStackPid(Number(new URL(baseUrl).port));
  return {
    name: 'local stack',
    chatIds,
    wsUrl: (user) => `${wsBase}?token=${encodeURIComponent(tokens[user])}`,
    processes: pid === undefined ? undefined : stackProcesses(pid),
    mainThread: pid,
  };
}

/**
 * The ceiling: a bare `ws` server that, on `{chatId, ...}`, stamps a per-chat
 * seq, forwards `message.new` to every connected member socket of the chat
 * and acks the sender. No storage, no auth, no HTTP hop.
 */
async function startBaseline(plan: Plan): Promise<{ target: Target; close(): Promise<void> }> {
  const chatIds = plan.chats.map((_, c) => `b${c}`);
  const chatIndex = new Map(chatIds.map((id, c) => [id, c]));
  const sockets: Set<WebSocket>[] = plan.chats.map(() => new Set());
  const seqs = new Uint32Array(plan.chats.length);
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    const user = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('user'));
    const userId = plan.users[user];
    const mine = plan.chatsOf[user] ?? [];
    for (const c of mine) sockets[c].add(ws);
    ws.on('close', () => {
      for (const c of mine) sockets[c].delete(ws);
    });
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      let frame: any;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return void ws.send(JSON.stringify({ type: 'error', code: 'bad_request', message: 'bad JSON' }));
      }
      const c = chatIndex.get(frame?.chatId);
      if (c === undefined || !sockets[c].has(ws)) {
        return void ws.send(JSON.stringify({ type: 'error', requestId: frame?.requestId, code: 'not_found', message: 'no such chat' }));
      }
      const seq = ++seqs[c];
      const message = {
        id: `${chatIds[c]}-${seq}`,
        chatId: chatIds[c],
        seq,
        senderId: userId,
        type: 'text',
        content: frame.content,
        clientMessageId: frame.clientMessageId,
        metadata: frame.metadata,
        createdAt: new Date().toISOString(),
      };
      const event = JSON.stringify({ type: 'message.new', chatId: chatIds[c], message });
      for (const member of sockets[c]) member.send(event);
      ws.send(JSON.stringify({ type: 'ack', requestId: frame.requestId, message }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  return {
    target: { name: 'bare ws baseline', chatIds, wsUrl: (user) => `ws://127.0.0.1:${port}/?user=${user}` },
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((done) => wss.close(() => done()));
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/**
 * `--cpu-prof`: attaches to each local-stack run where the stack's main thread
 * spent that run's send + drain phase. V8 names a profile
 * `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`, thread 0 being the main
 * one; the other (tsx's loader thread) is left out: it compiles modules, which
 * happens almost only at startup.
 */
async function summariseStackProfile(dir: string, pid: number, runs: RunResult[]): Promise<void> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile') && f.split('.')[3] === String(pid));
  process.stdout.write(`load: CPU profile(s) of the stack in ${dir}: ${files.join(', ') || 'none'}\n`);
  const main = files
    .filter((f) => f.split('.')[4] === '0')
    .sort()
    .at(-1);
  let profile: CpuProfile;
  try {
    if (!main) throw new Error('no main-thread profile (did the stack exit cleanly?)');
    profile = JSON.parse(await readFile(join(dir, main), 'utf8')) as CpuProfile;
  } catch (error) {
    process.stdout.write(`load: could not read the stack's CPU profile, so no breakdown: ${(error as Error).message}\n`);
    return;
  }
  for (const run of runs) {
    if (run.name !== 'local stack') continue;
    const summary = summariseCpuProfile(profile, { window: run.windowUs, root });
    run.cpuProfile = summary;
    const categories = [...summary.categories]
      .sort((a, b) => b.ms - a.ms)
      .filter((c) => c.share >= 0.05)
      .map((c) => `${c.name} ${pct(c.share)}`);
    const top = summary.top.slice(0, 3).map((f) => `${f.fn} ${pct(f.share)}`);
    const perMessage = (ms: number) => fmt(ms / Math.max(1, run.sent), 1);
    const cpu = run.mainThreadCpuSeconds > 0 ? `${perMessage(run.mainThreadCpuSeconds * 1000)} ms CPU and ` : '';
    process.stdout.write(
      `load: stack main thread, ${run.phase}: ${cpu}${perMessage(summary.busyMs)} ms busy (sampled) per message sent: ${categories.join(', ')}; ` +
        `most self time: ${top.join(', ')}\n`,
    );
  }
}

// ------------------------------------------------------------------ report

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const pct = (n: number) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : 'n/a');

/** CPU milliseconds a process group (`processCpu` key) spent per message sent in the run; undefined when not measured. */
function processCpuMsPerMessage(r: RunResult, key: string): number | undefined {
  return key in r.processCpu ? (r.processCpu[key] * r.wallSeconds * 1000) / Math.max(1, r.sent) : undefined;
}

function rows(r: RunResult): [string, string][] {
  const codes = Object.entries(r.ackErrorCodes)
    .map(([k, v]) => `${k}×${v}`)
    .join(', ');
  return [
    ['connections', `${r.connections} (opened in ${fmt(r.connectMs / 1000)} s)`],
    ['messages sent', `${r.sent}${r.skipped ? ` (${r.skipped} skipped: --duration cap)` : ''} in ${fmt(r.sendSeconds)} s`],
    ['acks ok / errors / missing', `${r.acksOk} / ${r.ackErrors}${codes ? ` (${codes})` : ''} / ${r.acksMissing}`],
    ['expected deliveries', String(r.expected)],
    ['delivered', String(r.delivered)],
    ['lost', String(r.lost)],
    ['duplicated', String(r.duplicated)],
    ['out of order', r.outOfOrder ? `${r.outOfOrder} (${r.outOfOrder - r.outOfOrderSequential} between concurrent sends, ${r.outOfOrderSequential} between sequential ones)` : '0'],
    ['unexpected (wrong chat/connection)', String(r.unexpected)],
    ['latency p50 / p95 / p99 / max (ms)', `${fmt(r.latency.p50)} / ${fmt(r.latency.p95)} / ${fmt(r.latency.p99)} / ${fmt(r.latency.max)}`],
    ['ack latency p50 / p99 (ms)', `${fmt(r.ackLatency.p50)} / ${fmt(r.ackLatency.p99)}`],
    ['deliveries/s', `${fmt(r.deliveriesPerSecond, 0)} (over ${fmt(r.spanSeconds)} s)`],
    [
      'other events received',
      Object.entries(r.otherEvents)
        .map(([k, v]) => `${k} ×${v}`)
        .join(', ') || 'none',
    ],
    ['drain', `${fmt(r.drainMs / 1000)} s, ended: ${r.drainEndedBy}`],
    [
      'CPU (send + drain)',
      [`machine ${pct(r.machineCpu)} busy`, `load client ${pct(r.clientCpu)}`, ...Object.entries(r.processCpu).map(([k, v]) => `${k} ${pct(v)}`)].join(', ') +
        ' (of one core)',
    ],
    ...(Object.keys(r.processCpu).length
      ? [
          [
            'CPU ms per message sent',
            Object.entries(r.processCpu)
              .map(([k]) => `${k} ${fmt(processCpuMsPerMessage(r, k)!, 1)}`)
              .join(', '),
          ] as [string, string],
        ]
      : []),
  ];
}

function printRun(r: RunResult) {
  const lines = rows(r);
  const width = Math.max(...lines.map(([k]) => k.length));
  process.stdout.write(`\n${lines.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`);
  for (const example of r.outOfOrderExamples) process.stdout.write(`  out of order: ${example}\n`);
  if (r.closedEarly) process.stdout.write(`  warning: ${r.closedEarly} connection(s) closed during the run\n`);
}

interface Ratios {
  phase: Phase['name'];
  /** Messages answered per second, stack and baseline. */
  messagesPerSecond: [number, number];
  throughput: number;
  p50: number;
  p99: number;
}

function ratiosOf(stack: RunResult, baseline: RunResult): Ratios {
  return {
    phase: stack.phase,
    messagesPerSecond: [stack, baseline].map((r) => (r.spanSeconds > 0 ? (r.acksOk + r.ackErrors) / r.spanSeconds : 0)) as [number, number],
    throughput: stack.deliveriesPerSecond / baseline.deliveriesPerSecond,
    p50: stack.latency.p50 / baseline.latency.p50,
    p99: stack.latency.p99 / baseline.latency.p99,
  };
}

const phaseTitle = (r: { phase: Phase['name']; rate: number }, o: Options) =>
  r.rate > 0 ? `paced, ${r.rate} messages/s` : `${r.phase === 'capacity' ? 'capacity' : 'unpaced'}: closed loop, ${o.inflight} sends in flight`;

function ratioLine(r: Ratios, o: Options): string {
  return (
    `ratio (local stack ÷ baseline), ${phaseTitle({ phase: r.phase, rate: r.phase === 'paced' ? o.rate : 0 }, o)}: ` +
    `deliveries/s ${fmt(r.throughput, 2)}, p50 latency ${fmt(r.p50, 1)}×, p99 latency ${fmt(r.p99, 1)}×` +
    (r.phase === 'paced' && o.rate > 0 ? '' : ` (messages/s ${fmt(r.messagesPerSecond[0], 1)} vs ${fmt(r.messagesPerSecond[1], 0)})`)
  );
}

const table = (header: string[], body: string[][]) =>
  [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** `text` shown as is in a markdown table cell (function names include RegExp sources). */
const cellText = (text: string) => text.replace(/[\\`*_|<>[\]]/g, '\\$&');

/**
 * `--cpu-prof`: the report's "Where the stack's CPU time goes" section ([] without profiles).
 * The samples give shares; the milliseconds are those shares of the main thread's CPU time from
 * /proc, because sampled time is wall time, which on a busy machine includes waiting for a core.
 */
function profileSection(runs: RunResult[]): string[] {
  const profiled = runs.filter((r): r is RunResult & { cpuProfile: CpuProfileSummary } => r.cpuProfile !== undefined);
  if (!profiled.length) return [];
  const measured = profiled.every((r) => r.mainThreadCpuSeconds > 0);
  /** What 100% is, in ms per message sent. */
  const whole = (r: (typeof profiled)[number]) =>
    measured ? (r.mainThreadCpuSeconds * 1000) / Math.max(1, r.sent) : r.cpuProfile.busyMs / Math.max(1, r.sent);
  const pct1 = (n: number) => (Number.isFinite(n) ? `${fmt(n * 100, 1)}%` : 'n/a');
  const cells = (r: (typeof profiled)[number], share: number) => [fmt(share * whole(r), 1), pct1(share)];
  // Biggest first, by the runs' shares together, so one order suits every column.
  const shareOf = (r: (typeof profiled)[number], name: string) => r.cpuProfile.categories.find((c) => c.name === name)!.share;
  const categories = [...CATEGORIES].sort((a, b) => profiled.reduce((n, r) => n + shareOf(r, b) - shareOf(r, a), 0));
  const processes = [...new Set(profiled.flatMap((r) => Object.keys(r.processCpu)))];
  const out = [
    "## Where the stack's CPU time goes",
    '',
    "From the V8 CPU profile of the stack's main thread (`--cpu-prof DIR`: the `CPU.….0.001.cpuprofile` there; open it in",
    "Chrome DevTools for call trees), over each run's send + drain phase. Every sample (about 1 ms) is charged to the",
    'function on top of the stack (self time); a native function without source (`writev`, `JSON.parse`, a RegExp) to the',
    "category of its JavaScript caller. tsx's loader thread is left out: it compiles modules, almost only at startup.",
    '',
    '**Profiling adds overhead** (the main thread is interrupted for every sample, and the samples are kept in memory',
    "until exit), so this run's figures are a little slower than an unprofiled run's.",
    '',
    table(
      ['', ...profiled.flatMap((r) => [`${r.phase}: ms per message sent`, 'share'])],
      [
        ...processes.map((k) => [
          `CPU of ${k}, all threads (from /proc)`,
          ...profiled.flatMap((r) => [k in r.processCpu ? fmt(processCpuMsPerMessage(r, k)!, 1) : '–', '']),
        ]),
        [
          measured ? "**CPU of the stack's main thread (from /proc)**" : "**stack's main thread busy (sampled wall time)**",
          ...profiled.flatMap((r) => [`**${fmt(whole(r), 1)}**`, '**100%**']),
        ],
        ...categories.map((name) => [name, ...profiled.flatMap((r) => cells(r, shareOf(r, name)))]),
        [
          'with an AWS SDK frame anywhere on the stack (a lower bound)',
          ...profiled.flatMap((r) => cells(r, r.cpuProfile.busyMs > 0 ? r.cpuProfile.awsSdkInclusiveMs / r.cpuProfile.busyMs : NaN)),
        ],
        ...(measured
          ? [['main thread not idle, sampled (wall time)', ...profiled.flatMap((r) => [fmt(r.cpuProfile.busyMs / Math.max(1, r.sent), 1), ''])]]
          : []),
      ],
    ),
    '',
    measured
      ? [
          "Each category's milliseconds are its share of the busy samples times the main thread's CPU time. The samples",
          "measure wall time outside the event loop's wait (last row), which on a busy machine includes waiting for a core;",
          "the gap between the first row (all threads) and the main thread's is the CPU of the other threads (GC helpers,",
          "JIT compiler, libuv pool, tsx's loader).",
        ].join('\n')
      : [
          "No per-thread CPU time here (not Linux?), so the milliseconds are sampled wall time outside the event loop's",
          'wait, which on a busy machine includes waiting for a core.',
        ].join('\n'),
    'The AWS SDK row counts samples with an `@aws-sdk`/`@smithy` frame anywhere on the stack: stacks stop at `await`,',
    'so the socket writes and promise work an SDK call causes after one are not in it.',
    '',
    ...categories.map((name) => `- ${name}: ${CATEGORY_CONTENTS[name]}`),
    '',
  ];
  for (const r of profiled) {
    out.push(
      `### Most self time, ${r.phase} run`,
      '',
      table(
        ['function', 'where', 'category', 'ms per message sent', 'share'],
        r.cpuProfile.top.map((f) => [cellText(f.fn.slice(0, 60)), cellText(f.where), f.category, ...cells(r, f.share)]),
      ),
      '',
    );
  }
  return out;
}

function markdown(o: Options, plan: Plan, runs: RunResult[], ratios: Ratios[], stackNote: string): string {
  const participants = plan.messages.reduce((n, m) => n + plan.chats[m.chat].members.length, 0) / plan.messages.length;
  const params = [
    ['users (WebSocket connections per user)', `${o.users} (${o.conns})`],
    ['group chats × members', `${o.groups} × ${o['group-size']}`],
    ['direct chats', String(o.direct)],
    ['messages', `${o.messages} ${o.rate > 0 ? `at ${o.rate}/s` : `unpaced, ${o.inflight} in flight`} (cap ${o.duration} s)`],
    ...(plan.capacityMessages.length ? [['capacity phase', `${plan.capacityMessages.length} more messages, unpaced, ${o.inflight} in flight`]] : []),
    ['mean participants per message', fmt(participants, 2)],
    ['seed', String(o.seed)],
    ['machine', `${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'CPU'}, Node ${process.version}, load average ${loadavg()[0].toFixed(1)} at the end`],
  ];
  const out = [
    '# Load test: local stack vs bare WebSocket broadcast',
    '',
    `Written by \`npm run load\` (\`scripts/load.ts\`) on ${new Date().toISOString()}. The same traffic (clients,`,
    'chats and membership, message count and pacing) runs against the local stack (DynamoDB Local,',
    'real handlers, `@connections` over loopback HTTP) and against a bare `ws` server in the load',
    "process that only forwards frames to the chat's sockets (the ceiling for this traffic on this machine).",
    '',
    '**Figures are machine-dependent**: the load clients, the stack (Node) and DynamoDB Local (Java) share',
    'the same cores (and whatever else runs on the machine), so compare ratios and runs on one machine,',
    'not absolute numbers across machines.',
    '',
    '## Parameters',
    '',
    table(['parameter', 'value'], params),
    '',
  ];
  for (const phase of ['paced', 'capacity'] as const) {
    const mine = runs.filter((r) => r.phase === phase);
    if (!mine.length) continue;
    const keys = [...new Set(mine.flatMap((r) => rows(r).map(([k]) => k)))];
    out.push(
      `## Runs: ${phaseTitle(mine[0], o)}`,
      '',
      table(
        ['', ...mine.map((r) => r.name)],
        keys.map((k) => [k, ...mine.map((r) => new Map(rows(r)).get(k) ?? '–')]),
      ),
      '',
    );
  }
  if (ratios.length) {
    out.push(
      '## Ratios (local stack ÷ baseline)',
      '',
      table(
        ['run', 'deliveries/s (higher is better)', 'p50 latency (lower is better)', 'p99 latency (lower is better)'],
        ratios.map((r) => [phaseTitle({ phase: r.phase, rate: r.phase === 'paced' ? o.rate : 0 }, o), fmt(r.throughput, 2), `${fmt(r.p50, 1)}×`, `${fmt(r.p99, 1)}×`]),
      ),
      '',
    );
    const capacity = ratios.find((r) => r.phase === 'capacity' || o.rate === 0);
    if (capacity) {
      out.push(
        `Capacity: the local stack answered ${fmt(capacity.messagesPerSecond[0], 1)} messages/s, the bare broadcast server ${fmt(capacity.messagesPerSecond[1], 0)}/s.`,
        '',
      );
      const run = runs.find((r) => r.name === 'local stack' && r.phase === capacity.phase);
      const [node, java] = run ? [processCpuMsPerMessage(run, 'stack (node)'), processCpuMsPerMessage(run, 'DynamoDB Local (java)')] : [];
      if (node !== undefined && java !== undefined) {
        // The baseline stores nothing; the stack cannot get faster than the CPU its processes need per message allows.
        const cores = cpus().length;
        out.push(
          `Where the ceiling is: each message cost the stack ${fmt(node, 1)} ms of CPU and DynamoDB Local ${fmt(java, 1)} ms, so ${cores} cores shared by`,
          `both allow at most ~${fmt((cores * 1000) / (node + java), 0)} messages/s before the load clients take their share; DynamoDB Local's part alone caps it at`,
          `~${fmt((cores * 1000) / java, 0)}/s. A bare broadcast server does none of that work, so the deliveries/s ratio stays low on any machine where the`,
          'database runs on the same cores.',
          '',
        );
      }
    }
  }
  if (stackNote) out.push(stackNote, '');
  out.push(
    [
      'How to read it: the paced runs are open loop at the same pace, so while the stack keeps up its deliveries/s',
      "equal the baseline's (ratio 1.00) and the latency ratios show its overhead; the capacity runs are closed loop",
      '(each target as fast as it answers), so their deliveries/s ratio compares the stack with the ceiling. Lost,',
      'duplicated and out-of-order count `message.new` events per connection; out-of-order events between messages',
      'sent concurrently into one chat are allowed (README, "Order"); between sequential ones they would be a bug.',
    ].join('\n'),
    '',
    ...profileSection(runs),
  );
  return out.join('\n');
}

// ------------------------------------------------------------------ main

async function main() {
  const o = readOptions();
  const plan = makePlan(o);
  const phases: Phase[] = [{ name: 'paced', tag: 'p', messages: plan.messages, rate: o.rate }];
  if (plan.capacityMessages.length) phases.push({ name: 'capacity', tag: 'c', messages: plan.capacityMessages, rate: 0 });
  const expected = (messages: PlanMessage[]) => messages.reduce((n, m) => n + plan.chats[m.chat].members.length * o.conns, 0);
  process.stdout.write(
    `load: ${o.users} users × ${o.conns} connection(s), ${o.groups} groups of ${o['group-size']}, ${o.direct} direct chats; ` +
      `${o.messages} messages ${o.rate > 0 ? `at ${o.rate}/s` : `unpaced (${o.inflight} in flight)`} → ${expected(plan.messages)} expected deliveries` +
      (plan.capacityMessages.length ? `, then ${plan.capacityMessages.length} unpaced → ${expected(plan.capacityMessages)}` : '') +
      ` per target (run ${plan.runId}, seed ${o.seed})\n`,
  );

  const runs: RunResult[] = [];
  let stack: LocalStack | undefined;
  let baseline: Awaited<ReturnType<typeof startBaseline>> | undefined;
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    await Promise.allSettled([stack?.stop(), baseline?.close()]);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nload: ${signal}, stopping…\n`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  // A stuck run must still end (and its stack with it: the child exits when our stdin pipe closes).
  const hardCapMs = 120_000 + phases.length * 2 * (o.duration * 1000 + o['drain-ms'] + 60_000);
  setTimeout(() => {
    process.stderr.write(`load: gave up after ${Math.round(hardCapMs / 1000)} s\n`);
    void stopAll().finally(() => process.exit(2));
  }, hardCapMs).unref();
  const record = (result: RunResult) => {
    runs.push(result);
    process.stdout.write(`\n${result.name}: ${phaseTitle(result, o)}`);
    printRun(result);
  };

  let stackNote = '';
  /** `--cpu-prof`: the stack's pid, which names its profiles. */
  let profiledPid: number | undefined;
  try {
    if (o.only !== 'baseline') {
      const external = process.env.LOCAL_STACK_URL;
      let baseUrl: string;
      let wsBase: string;
      let mint: (userId: string) => Promise<string>;
      if (external) {
        const url = new URL(external);
        if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) fail(`LOCAL_STACK_URL must be a loopback address, got ${external}`);
        baseUrl = url.origin;
        wsBase = process.env.LOCAL_STACK_WS_URL || `ws://${url.host}/ws`;
        mint = (userId) => mintToken(baseUrl, userId);
        stackNote = `The local stack was an already running one (${baseUrl}); its rate limit must allow the pace (RATE_LIMIT_PER_MINUTE).`;
        process.stdout.write(`load: using the running stack at ${baseUrl}\n`);
      } else {
        const env: Record<string, string> = { RATE_LIMIT_PER_MINUTE: '1000000', LOG_REQUESTS: '' };
        if (o['stack-node-options']) env.NODE_OPTIONS = o['stack-node-options'];
        const t0 = performance.now();
        process.stdout.write('load: starting a local stack…\n');
        if (o['cpu-prof']) {
          const dir = resolve(o['cpu-prof']);
          await mkdir(dir, { recursive: true });
          // V8 writes the .cpuprofile when the stack exits.
          stack = await startLocalStack({ env, timeoutMs: 90_000, forwardStderr: false, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
          profiledPid = stack.pid;
        } else stack = await startLocalStack({ env, timeoutMs: 90_000, forwardStderr: false });
        baseUrl = stack.baseUrl;
        wsBase = stack.wsUrl;
        mint = (userId) => stack!.token(userId);
        process.stdout.write(`load: stack up at ${baseUrl} in ${fmt((performance.now() - t0) / 1000)} s\n`);
        stackNote = 'The local stack was started by the script with `RATE_LIMIT_PER_MINUTE=1000000` and request logging off.';
      }
      const t1 = performance.now();
      const target = await prepareStack(baseUrl, wsBase, plan, o, mint);
      process.stdout.write(`load: ${plan.users.length} users and ${plan.chats.length} chats set up in ${fmt((performance.now() - t1) / 1000)} s\n`);
      for (const phase of phases) {
        if (stopping) break;
        record(await runTraffic(target, plan, phase, o));
      }
      if (stack) {
        // The handlers log to stdout/stderr; show what went wrong, briefly (the last 20 000 characters are kept).
        const problems = stack
          .output()
          .split('\n')
          .filter((line) => /^gateway: |"level":"(WARN|ERROR)"/.test(line));
        if (problems.length) {
          process.stdout.write(`  the stack logged ${problems.length}+ warnings/errors; the last ones:\n${problems.slice(-3).map((l) => `    ${l.slice(0, 300)}`).join('\n')}\n`);
        }
        await stack.stop();
        if (o['cpu-prof'] && profiledPid !== undefined) await summariseStackProfile(resolve(o['cpu-prof']), profiledPid, runs);
        stack = undefined;
      }
    }
    if (o.only !== 'stack' && !stopping) {
      baseline = await startBaseline(plan);
      for (const phase of phases) {
        if (stopping) break;
        record(await runTraffic(baseline.target, plan, phase, o));
      }
      await baseline.close();
      baseline = undefined;
    }
  } finally {
    await stopAll();
  }
  if (runs.length === 0) return;

  const ratios: Ratios[] = [];
  for (const phase of phases) {
    const pair = ['local stack', 'bare ws baseline'].map((name) => runs.find((r) => r.name === name && r.phase === phase.name));
    if (pair[0] && pair[1]) ratios.push(ratiosOf(pair[0], pair[1]));
  }
  if (ratios.length) process.stdout.write(`\n${ratios.map((r) => ratioLine(r, o)).join('\n')}\n`);
  if (o.report) {
    const file = resolve(root, o.report);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, markdown(o, plan, runs, ratios, stackNote));
    process.stdout.write(`load: report written to ${relative(process.cwd(), file) || file}\n`);
  }
  const stackRuns = runs.filter((r) => r.name === 'local stack');
  if (stackRuns.some((r) => r.lost || r.duplicated || r.outOfOrderSequential || r.unexpected)) {
    process.stdout.write('load: the local stack lost, duplicated, misrouted or reordered deliveries (see above)\n');
    process.exitCode = 1;
  } else if (stackRuns.some((r) => r.outOfOrder)) {
    process.stdout.write(
      'load: some events arrived out of seq order, all between messages sent concurrently into the same chat: each send fans out\n' +
        '      on its own, so the one stored first can finish delivering last (README, "Order"; clients insert by seq)\n',
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
