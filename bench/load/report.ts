/**
 * What the load test prints after each run and the markdown report it
 * writes (`bench/LOAD.md`): the runs side by side, the ratios to the
 * baseline, where the capacity ceiling is, and, with `--cpu-prof`, where the
 * stack's CPU time goes.
 */
import { cpus, loadavg } from 'node:os';
import { CATEGORIES, CATEGORY_CONTENTS, type CpuProfileSummary } from './cpu-profile';
import { fmt, pct } from './format';
import type { Options } from './options';
import type { Phase, Plan } from './plan';
import { POSTS_PER_DELIVERY_TARGET, type RunResult } from './traffic';

/** CPU milliseconds a process group (`processCpu` key) spent per message sent in the run; undefined when not measured. */
export function processCpuMsPerMessage(r: RunResult, key: string): number | undefined {
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
    [
      '@connections posts per delivered message',
      `${fmt(r.postsPerDelivery, 3)} (${r.eventPosts} event posts for ${r.delivered} deliveries; target ≤ ${POSTS_PER_DELIVERY_TARGET} per recipient connection: ` +
        `${r.postsPerDelivery <= POSTS_PER_DELIVERY_TARGET ? 'PASS' : 'FAIL'})`,
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

export function printRun(r: RunResult) {
  const lines = rows(r);
  const width = Math.max(...lines.map(([k]) => k.length));
  process.stdout.write(`\n${lines.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`);
  for (const example of r.outOfOrderExamples) process.stdout.write(`  out of order: ${example}\n`);
  if (r.closedEarly) process.stdout.write(`  warning: ${r.closedEarly} connection(s) closed during the run\n`);
}

export interface Ratios {
  phase: Phase['name'];
  /** Messages answered per second, stack and baseline. */
  messagesPerSecond: [number, number];
  throughput: number;
  p50: number;
  p99: number;
}

export function ratiosOf(stack: RunResult, baseline: RunResult): Ratios {
  return {
    phase: stack.phase,
    messagesPerSecond: [stack, baseline].map((r) => (r.spanSeconds > 0 ? (r.acksOk + r.ackErrors) / r.spanSeconds : 0)) as [number, number],
    throughput: stack.deliveriesPerSecond / baseline.deliveriesPerSecond,
    p50: stack.latency.p50 / baseline.latency.p50,
    p99: stack.latency.p99 / baseline.latency.p99,
  };
}

export const phaseTitle = (r: { phase: Phase['name']; rate: number }, o: Options) =>
  r.rate > 0 ? `paced, ${r.rate} messages/s` : `${r.phase === 'capacity' ? 'capacity' : 'unpaced'}: closed loop, ${o.inflight} sends in flight`;

export function ratioLine(r: Ratios, o: Options): string {
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

export function markdown(o: Options, plan: Plan, runs: RunResult[], ratios: Ratios[], stackNote: string): string {
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
    `Written by \`npm run load\` (\`bench/load.ts\`) on ${new Date().toISOString()}. The same traffic (clients,`,
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
