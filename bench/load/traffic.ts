/**
 * One measured run: connect every planned user to a target, send the
 * phase's messages at its pace (open loop) or as fast as the target answers
 * (closed loop), and record every `message.new` and answer each connection
 * receives: deliveries, losses, duplicates, order, latencies and CPU. The
 * figures are defined in `bench/load.ts`.
 */
import WebSocket from 'ws';
import type { CpuProfileSummary, ProfileWindow } from './cpu-profile';
import type { Options } from './options';
import type { Phase, Plan } from './plan';
import { cpuTimes, processSeconds, threadSeconds } from './procfs';
import { fmt } from './format';

/** What a run needs from its target: a WebSocket URL per user and the id of each planned chat. */
export interface Target {
  name: string;
  wsUrl(user: number): string;
  chatIds: string[];
  /** Processes whose CPU time to report, by label (Linux only). */
  processes?: () => Record<string, number[]>;
  /** A process whose main thread's CPU time to measure too (the stack's event loop; Linux only). */
  mainThread?: number;
}

export interface RunResult {
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
  /**
   * Event frames received (every `@connections` post but the acks): this run's deliveries, duplicates,
   * misdirected ones and other events (`messages.read`, presence, …), not frames of other runs or gateway errors.
   */
  eventPosts: number;
  /** `eventPosts / delivered`: posts per recipient connection per message (issue 20 target ≤ 1.1). */
  postsPerDelivery: number;
  closedEarly: number;
}

/** The issue 20 budget for {@link RunResult.postsPerDelivery}, after SPEC §6 dropped `messages.read` for one's own send. */
export const POSTS_PER_DELIVERY_TARGET = 1.1;

/** Keys of `otherEvents` that are not posts of this run's events. */
const notEventPost = (key: string) => key.startsWith('(') || key === 'message.new (other run)' || key === 'pong';

export interface Percentiles {
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** Runs `fn` over `items` with at most `limit` in flight; rejects on the first failure. */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
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
export async function runTraffic(target: Target, plan: Plan, phase: Phase, o: Options): Promise<RunResult> {
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
  const eventPosts = delivered + duplicated + unexpected + Object.entries(otherEvents).reduce((n, [key, count]) => (notEventPost(key) ? n : n + count), 0);
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
    eventPosts,
    postsPerDelivery: delivered > 0 ? eventPosts / delivered : NaN,
    closedEarly,
  };
}
