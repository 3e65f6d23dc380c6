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
 * time during each run to the output and the report (`bench/load/cpu-profile.ts`).
 * `--only stack|baseline`.
 * Everything listens on and talks to 127.0.0.1 only; every loop and wait is
 * bounded, and the stack it started is stopped on exit (also on Ctrl-C).
 *
 * Exit code 1 when the local stack lost, duplicated, misrouted or
 * sequentially reordered a delivery (or the run could not be set up).
 *
 * The parts, in `bench/load/`: `options.ts`, `plan.ts` (the traffic),
 * `traffic.ts` (one measured run), `stack-target.ts` and `baseline.ts` (the
 * two targets), `procfs.ts` (CPU figures), `cpu-profile.ts` and
 * `stack-profile.ts` (`--cpu-prof`), `report.ts` and `format.ts` (output).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { mintToken, startLocalStack, type LocalStack } from '../local/launcher';
import { startBaseline } from './load/baseline';
import { fmt } from './load/format';
import { fail, readOptions } from './load/options';
import { makePlan, type Phase, type PlanMessage } from './load/plan';
import { markdown, phaseTitle, printRun, ratioLine, ratiosOf, type Ratios } from './load/report';
import { summariseStackProfile } from './load/stack-profile';
import { prepareStack } from './load/stack-target';
import { runTraffic, type RunResult } from './load/traffic';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

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
        if (o['cpu-prof'] && profiledPid !== undefined) await summariseStackProfile(resolve(o['cpu-prof']), profiledPid, runs, root);
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
