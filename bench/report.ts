/**
 * Turns the measurements into `bench/results.json` (everything, including
 * the `costModel` figures the README's cost section uses) and
 * `bench/RESULTS.md` (tables, targets with PASS/FAIL, cold start).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { coldStartSection, coldStartTargets, COLD_START_TARGETS, type ColdStartRun } from './cold-start';
import { evaluateBudgets, type Target } from './budgets';
import { roundTripText, type OperationResult, type RunFigures } from './measure';
import { total } from './totals';

const r2 = (n: number) => Math.round(n * 100) / 100;

/** Issue 20 withdrew these targets of issue 6; the README's "Sending a message" explains the floor. */
const WITHDRAWN_BY_ISSUE_20 = 'withdrawn by issue 20: the price of exact unread counts, the per-user rate limit and gap-free seqs (README, "Sending a message")';

/** A target's Result cell: PASS, FAIL, or "withdrawn" for a target that no longer applies but is still measured. */
export function resultOf(t: Target): string {
  if (t.pass) return 'PASS';
  return t.withdrawn ? `withdrawn (${t.withdrawn})` : '**FAIL**';
}

export interface ReportInput {
  root: string;
  operations: OperationResult[];
  coldStart: ColdStartRun;
  scanRequestsWholeRun: number;
  requestsWholeRun: Record<string, number>;
  environment: { node: string; cpus: number; cpuModel: string; seconds: number; code: { commit: string; uncommitted: string[] } };
  fanOutQueue: { workerRoute: string | null; workerInvocationsWholeRun: number };
  setup: { runsPerOperation: number; coldStartRuns: number; messageBytes: number; onlineShare: number };
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []))),
  );
  return nested.flat();
}

/** Files under functions/ that mention a Scan command (imports or calls). */
async function scanUsesInSource(root: string): Promise<string[]> {
  const files = await sourceFiles(join(root, 'functions'));
  const hits: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    if (/\bScanCommand\b|\bParallelScan\b|paginateScan/.test(text)) hits.push(relative(root, file));
  }
  return hits;
}

const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 }));

function requestsCell(f: RunFigures): string {
  const parts = Object.entries(f.byCommand).map(([c, n]) => `${c} ${n}`);
  return `${f.requests} (${parts.join(', ') || 'none'})`;
}

/**
 * Issue 17's targets (SPEC §8 coalescing), from the "Notifications"
 * scenarios: also printed on their own by `npx tsx bench/notifications.ts`.
 */
export function notificationTargets(ops: readonly OperationResult[]): { target: string; pass: boolean; measured: string }[] {
  const byId = (id: string) => ops.find((o) => o.id === id);
  const burst = byId('notify-100-burst-10');
  const coalesced = byId('notify-100-coalesced');
  const direct = byId('notify-2-burst-10');
  if (!burst || !coalesced || !direct) return [];
  // g100-s sends: 99 other members, 10 of them online.
  const offline = 89;
  const entries = (o: OperationResult) => total(o).putEventsEntries;
  const memberships = /^(\d+× )?USER#…\/CHAT#…$/;
  const reads = (coalesced.worker?.detail ?? []).filter((d) => d.command === 'BatchGetItem' && memberships.test(d.what));
  const marks = (burst.worker?.detail ?? []).filter((d) => d.command === 'UpdateItem' && memberships.test(d.what));
  const markWcu = r2(marks.reduce((sum, d) => sum + d.wcu, 0));
  return [
    {
      target: 'Offline notifications (EventBridge entries; SNS publishes are these × devices) ≤ 1 per offline recipient per burst of 10 messages, not per message',
      pass: entries(burst) <= offline && entries(direct) <= 1 && entries(coalesced) === 0,
      measured: `group of 100 (${offline} offline): ${entries(burst)} per burst (${r2(entries(burst) / 10)} per message); a send to recipients already notified: ${entries(coalesced)}; chat of 2: ${entries(direct)} per burst`,
    },
    {
      target: 'Coalescing costs ≤ ⌈F/100⌉ extra reads per send (F offline recipients) and ≤ 1 WCU per newly notified recipient',
      pass: reads.length <= Math.ceil(offline / 100) && markWcu <= entries(burst),
      measured: `per send: ${reads.length} BatchGetItem of ${offline} memberships (${r2(reads.reduce((sum, d) => sum + d.rcu, 0))} RCU); per burst: ${marks.length} conditional UpdateItem, ${markWcu} WCU for ${entries(burst)} recipients notified`,
    },
  ];
}

/**
 * Issue 18's targets (SPEC §9 blocks): no extra round trip on send, ≤ 1
 * extra read per list, from `send-100` / `send-100-blocked` and
 * `read-page-100` / `read-page-100-blocking` (also printed on their own by
 * `npm run bench -- --only=send-100,send-100-blocked,read-page-100,read-page-100-blocking`).
 */
export function moderationTargets(ops: readonly OperationResult[]): { target: string; pass: boolean; measured: string }[] {
  const byId = (id: string) => ops.find((o) => o.id === id);
  const targets: { target: string; pass: boolean; measured: string }[] = [];
  const plain = byId('send-100');
  const blocked = byId('send-100-blocked');
  if (plain && blocked) {
    const [p, b] = [plain.steady, blocked.steady];
    const reads = (f: RunFigures) => (f.byCommand.GetItem ?? 0);
    targets.push({
      target: 'Blocks: a send whose sender 10 of 100 members block costs no extra DynamoDB request or round trip over an unblocked send (the blockers come with the sender\'s one moderation GetItem)',
      pass: b.requests === p.requests && b.roundTrips.total === p.roundTrips.total && reads(b) === reads(p),
      measured: `send-100: ${p.requests} requests, ${p.roundTrips.total} round trips; send-100-blocked: ${b.requests} requests, ${b.roundTrips.total} round trips`,
    });
  }
  const page = byId('read-page-100');
  const blocking = byId('read-page-100-blocking');
  if (page && blocking) {
    const [p, b] = [page.steady, blocking.steady];
    targets.push({
      target: 'Blocks: a message page costs ≤ 1 read for the viewer\'s blocks (one GetItem of their moderation item, the same with or without blocks)',
      pass: (p.byCommand.GetItem ?? 0) <= 1 && b.requests === p.requests,
      measured: `read-page-100: ${p.requests} requests (${p.byCommand.GetItem ?? 0} GetItem); read-page-100-blocking: ${b.requests} requests (${b.byCommand.GetItem ?? 0} GetItem)`,
    });
  }
  return targets;
}

function costOf(op: OperationResult | undefined) {
  if (!op) return undefined;
  const t = total(op);
  const part = (f: RunFigures) => ({ dynamodbRequests: f.requests, byCommand: f.byCommand, rcu: f.rcu, wcu: f.wcu, connectionPosts: f.connectionPosts, putEventsCalls: f.putEventsCalls });
  return {
    operation: op.id,
    dynamodbRequests: t.requests,
    byCommand: t.byCommand,
    rcu: t.rcu,
    wcu: t.wcu,
    indexWcu: t.indexWcu,
    connectionPosts: t.connectionPosts,
    putEventsCalls: t.putEventsCalls,
    putEventsEntries: t.putEventsEntries,
    sqsSendMessage: t.queueSends,
    lambdaInvocations: t.lambdaInvocations,
    ...(op.worker ? { handler: part(op.steady), fanOutWorker: { ...part(op.worker), invocations: op.worker.invocations } } : {}),
  };
}

export async function writeReport(input: ReportInput): Promise<void> {
  const ops = input.operations;
  const byId = (id: string) => ops.find((o) => o.id === id);
  const sends = [
    ['send-2', 2],
    ['send-100', 100],
    ['send-1000', 1000],
  ] as const;
  const targets: Target[] = [];

  // Same writes for 2 and 1,000 participants.
  {
    const s2 = total(byId('send-2')!);
    const s1000 = total(byId('send-1000')!);
    targets.push({
      target: 'Sending costs the same writes for 2 and 1,000 participants',
      pass: s2.wcu === s1000.wcu && s2.writeRequests === s1000.writeRequests,
      measured: sends.map(([id, n]) => `${fmt(n)}: ${fmt(total(byId(id)!).wcu)} WCU in ${total(byId(id)!).writeRequests} writes`).join('; '),
    });
  }
  // ≤ 3 WCU for a 1 KB message.
  {
    const worst = Math.max(...sends.map(([id]) => total(byId(id)!).wcu));
    targets.push({
      target: `≤ 3 WCU to send a 1 KB message (${input.setup.messageBytes} characters of English prose, stored compressed)`,
      pass: worst <= 3,
      withdrawn: WITHDRAWN_BY_ISSUE_20,
      measured: sends.map(([id, n]) => `${fmt(n)}: ${fmt(total(byId(id)!).wcu)} WCU`).join('; '),
    });
  }
  // ≤ 2 sequential round trips before the send replies.
  {
    const rows = sends.map(([id, n]) => ({ n, f: byId(id)!.steady }));
    const before = Math.max(...rows.flatMap((r) => [r.f.roundTrips.beforeFanOut ?? 0, r.f.roundTrips.beforeFanOutChain ?? 0]));
    const total = Math.max(...rows.flatMap((r) => [r.f.roundTrips.total, r.f.roundTrips.totalChain]));
    const measured = rows.map((r) => `${fmt(r.n)}: ${roundTripText(r.f)}`).join('; ');
    targets.push({ target: '≤ 2 sequential DynamoDB round trips before fan-out (send)', pass: before <= 2, measured: `before fan-out / total: ${measured}`, withdrawn: WITHDRAWN_BY_ISSUE_20 });
    targets.push({
      target: '≤ 2 sequential DynamoDB round trips before the send replies (the reply waits for everything the handler awaits: total)',
      pass: total <= 2,
      withdrawn: WITHDRAWN_BY_ISSUE_20,
      measured: `total: ${rows.map((r) => `${fmt(r.n)}: ${roundTripText(r.f).split(' / ')[1]}`).join('; ')}`,
    });
  }
  targets.push(...moderationTargets(ops));
  // Connection lookups ≤ 1 + ⌈N/100⌉.
  {
    const cases = [
      ['send-2', 2],
      ['send-100', 100],
      ['send-1000', 1000],
      ['send-100-ws', 100],
      ['ws-typing-100', 100],
      ['mark-read-100', 100],
    ] as const;
    const rows = cases.map(([id, n]) => ({ id, n, got: total(byId(id)!).connectionLookups, limit: 1 + Math.ceil(n / 100) }));
    targets.push({
      target: 'Connection lookups for N participants ≤ 1 + ⌈N/100⌉ requests (GSI1 participants Query + presence BatchGetItem; handler and fan-out worker together)',
      pass: rows.every((r) => r.got <= r.limit),
      measured: rows.map((r) => `${r.id} (N=${fmt(r.n)}): ${r.got} ≤ ${r.limit}`).join('; '),
    });
  }
  // Listing chats ≤ 1 + ⌈C/100⌉.
  {
    const rows = ops
      .filter((o) => o.id.startsWith('list-chats-'))
      .map((o) => {
        const [, c, limit] = /list-chats-(\d+)-limit-(\d+)/.exec(o.id)!;
        return { c: Number(c), limit: Number(limit), got: o.steady.requests, max: 1 + Math.ceil(Number(c) / 100) };
      });
    targets.push({
      target: 'Listing chats ≤ 1 + ⌈C/100⌉ requests for C chats',
      pass: rows.every((r) => r.got <= r.max),
      measured: rows.map((r) => `C=${fmt(r.c)}, limit ${r.limit}: ${r.got} ≤ ${r.max}`).join('; '),
    });
  }
  // Issue 13: what the new rules cost.
  {
    const send2 = byId('send-2');
    const dropped = byId('ws-typing-dropped');
    const page = byId('read-page-2');
    const withReplies = byId('read-page-replies');
    if (send2 && dropped && page && withReplies) {
      const t = total(dropped);
      targets.push({
        target: 'A dropped `typing` (SPEC §5 throttle) costs ≤ 1 write and no fan-out',
        pass: t.writeRequests <= 1 && t.connectionLookups === 0 && t.connectionPosts === 0,
        measured: `${t.writeRequests} write, ${t.connectionLookups} connection lookups, ${t.connectionPosts} posts`,
      });
      const extra = withReplies.steady.requests - page.steady.requests;
      targets.push({
        target: 'Reply previews that follow their originals cost ≤ 1 extra request per page',
        pass: extra <= 1,
        measured: `page of 50 with 10 replies to older messages: ${withReplies.steady.requests} requests, ${fmt(withReplies.steady.rcu)} RCU; without replies: ${page.steady.requests} requests, ${fmt(page.steady.rcu)} RCU`,
      });
    }
  }
  // Issue 17: offline notifications coalesced per recipient and chat (SPEC §8).
  targets.push(...notificationTargets(ops));
  // No Scan.
  const scanSources = await scanUsesInSource(input.root);
  targets.push({
    target: 'No Scan anywhere',
    pass: input.scanRequestsWholeRun === 0 && scanSources.length === 0,
    measured: `${input.scanRequestsWholeRun} Scan requests in the whole run (seeding included); ${scanSources.length ? `Scan in ${scanSources.join(', ')}` : 'no Scan command in functions/'}`,
  });
  // Cold start (issue 20).
  targets.push(...coldStartTargets(input.coldStart));
  // Every capability's budget rows (bench/budgets.ts).
  targets.push(...evaluateBudgets(ops));

  const costModel = {
    description:
      'Per send of a 1 KB message (steady state, warm container), sender over HTTP without an open connection, 10% of the other participants online with one connection each. ' +
      'RCU/WCU are DynamoDB capacity units as reported by ReturnConsumedCapacity=INDEXES (on-demand: read/write request units), table + GSIs. ' +
      'Lambda invocations count the send handler only (no EventBridge rule targets).',
    messageBytes: input.setup.messageBytes,
    onlineShare: input.setup.onlineShare,
    perSend: {
      direct2RecipientOnline: costOf(byId('send-2')),
      direct2RecipientOffline: costOf(byId('send-2-offline')),
      group100: costOf(byId('send-100')),
      group1000: costOf(byId('send-1000')),
      group100OverWebSocket: costOf(byId('send-100-ws')),
    },
    perOperation: Object.fromEntries(ops.map((o) => [o.id, costOf(o)])),
  };

  const json = {
    generatedBy: 'npm run bench',
    environment: input.environment,
    setup: input.setup,
    targets,
    costModel,
    fanOutQueue: input.fanOutQueue,
    operations: ops,
    requestsWholeRun: input.requestsWholeRun,
    coldStart: {
      bundleOptions: input.coldStart.bundle,
      targets: COLD_START_TARGETS,
      node: input.coldStart.node,
      runs: input.coldStart.runs,
      baselineMedianMs: input.coldStart.baselineMedianMs,
      functions: input.coldStart.results,
    },
  };
  await writeFile(join(input.root, 'bench/results.json'), `${JSON.stringify(json, null, 2)}\n`);

  // ------------------------------------------------------------------ Markdown
  const md: string[] = [];
  const failing = targets.filter((t) => !t.pass && !t.withdrawn).length;
  const withdrawn = targets.filter((t) => !t.pass && t.withdrawn).length;
  md.push('# Benchmark results', '');
  md.push(
    'Generated by `npm run bench` (`bench/run.ts`); do not edit by hand. The real handlers run in process against DynamoDB Local,',
    'with `@connections`, EventBridge and the token issuer\'s JWKS served by a local fake (`bench/fake-aws.ts`). Every figure',
    'except milliseconds is a count that does not depend on the machine: requests, capacity units (from `ReturnConsumedCapacity:',
    '\'INDEXES\'` on every command), round trips, posts and events. **Milliseconds are machine-dependent; counts are not.**',
    '',
  );
  const code = input.environment.code;
  md.push(
    `Measured code: commit \`${code.commit}\`${code.uncommitted.length ? ` with uncommitted changes to ${code.uncommitted.map((f) => `\`${f}\``).join(', ')}` : ''}.`,
    '',
  );
  md.push(
    `Each operation ran ${input.setup.runsPerOperation} times; the tables show the last (steady-state, warm container) run. ` +
      'The first run of a container additionally writes the caller\'s directory entry once (1 UpdateItem, `users.touch`), which later calls skip.',
    '',
  );

  md.push(
    `## Targets (${targets.length - failing - withdrawn} PASS, ${failing} FAIL${withdrawn ? `, ${withdrawn} withdrawn and not met` : ''})`,
    '',
    '| Target | Result | Measured |',
    '|---|---|---|',
  );
  for (const t of targets) md.push(`| ${t.target} | ${resultOf(t)} | ${t.measured} |`);
  md.push('');

  md.push(
    '## Operations',
    '',
    'Columns: DynamoDB requests (by API); RCU and WCU consumed, table + GSIs (index WCU in parentheses when > 0); sequential DynamoDB',
    'round trips, i.e. groups of overlapping request intervals, completed before the fan-out starts (the first participants Query on',
    'GSI1 or the first PostToConnection; "–" when the operation delivers nothing) and in total; `@connections` posts; EventBridge PutEvents',
    'calls / entries. Online users have one open connection each.',
    '',
  );
  const areas = [...new Set(ops.map((o) => o.area))];
  for (const area of areas) {
    md.push(`### ${area}`, '', '| Operation | DynamoDB requests | RCU | WCU | Round trips (before fan-out / total) | @connections posts | PutEvents (calls / entries) |', '|---|---|---|---|---|---|---|');
    for (const o of ops.filter((x) => x.area === area)) {
      const f = o.steady;
      const wcu = f.indexWcu > 0 ? `${fmt(f.wcu)} (index ${fmt(f.indexWcu)})` : fmt(f.wcu);
      const rt = roundTripText(f);
      const flag = o.stable ? '' : ' ⚠';
      const queued = f.queueSends ? `; ${f.queueSends} SQS SendMessage` : '';
      md.push(`| ${o.label}${flag} | ${requestsCell(f)}${queued} | ${fmt(f.rcu)} | ${wcu} | ${rt} | ${f.connectionPosts} | ${f.putEventsCalls} / ${f.putEventsEntries} |`);
      const w = o.worker;
      if (w) {
        const wwcu = w.indexWcu > 0 ? `${fmt(w.wcu)} (index ${fmt(w.indexWcu)})` : fmt(w.wcu);
        md.push(
          `| ↳ then the fan-out worker, after the reply (${w.invocations} invocation${w.invocations === 1 ? '' : 's'}, ${w.jobs} job${w.jobs === 1 ? '' : 's'}) | ${requestsCell(w)} | ${fmt(w.rcu)} | ${wwcu} | ${roundTripText(w)} | ${w.connectionPosts} | ${w.putEventsCalls} / ${w.putEventsEntries} |`,
        );
      }
    }
    md.push('');
  }
  const unstable = ops.filter((o) => !o.stable || o.variations.length);
  if (unstable.length) {
    md.push('Warm runs that did not agree (⚠ marks differing counts; round trips are timing-based and may vary between runs):', '');
    for (const o of unstable) md.push(`- ${o.id}: ${o.variations.join('; ')}`);
    md.push('');
  }
  const missing = ops.filter((o) => [o.steady, o.worker].some((f) => f && (f.capacityMissing > 0 || f.errors.length > 0)));
  if (missing.length) {
    md.push('Failed requests, requests without reported capacity (a failed condition answers no ConsumedCapacity, although DynamoDB charges it) and unexpected calls:', '');
    for (const o of missing) {
      for (const f of [o.steady, o.worker]) if (f && (f.errors.length || f.capacityMissing)) md.push(`- ${o.id}${f === o.worker ? ' (worker)' : ''}: ${tally(f.errors) || `${f.capacityMissing} request(s) without capacity`}`);
    }
    md.push('');
  }

  for (const id of ['send-2', 'send-100']) {
    const o = byId(id);
    if (!o) continue;
    md.push(`### Request by request: ${o.label}`, '', '| Round trip | Request | Item(s) | RCU | WCU |', '|---|---|---|---|---|');
    const row = (prefix: string, d: RunFigures['detail'][number]) =>
      md.push(`| ${prefix}${d.step} | ${d.command} | ${d.what.replace(/\|/g, '\\|')} | ${fmt(d.rcu)} | ${fmt(d.wcu)}${d.indexWcu ? ` (index ${fmt(d.indexWcu)})` : ''} |`);
    for (const d of o.steady.detail) row('', d);
    if (o.worker) for (const d of o.worker.detail) row('worker ', d);
    const t = total(o);
    md.push(
      '',
      `Posts and events: ${t.connectionPosts} PostToConnection, ${t.putEventsCalls} PutEvents (${t.putEventsEntries} entries)` +
        (t.queueSends ? `, ${t.queueSends} SQS SendMessage (the worker's rows are marked "worker")` : '') +
        '.',
      '',
    );
  }

  md.push(
    '## Cost model figures',
    '',
    `Per send of a ${input.setup.messageBytes}-character message, steady state (also in \`results.json\` under \`costModel\`):`,
    '',
    '| Chat | DynamoDB requests | RCU | WCU | @connections posts | PutEvents calls / entries | SQS SendMessage | Lambda invocations |',
    '|---|---|---|---|---|---|---|---|',
  );
  const costRows: [string, string][] = [
    ['2 participants, recipient online', 'direct2RecipientOnline'],
    ['2 participants, recipient offline', 'direct2RecipientOffline'],
    ['100 participants, 10 online', 'group100'],
    ['1,000 participants, 100 online', 'group1000'],
  ];
  for (const [label, key] of costRows) {
    const c = costModel.perSend[key as keyof typeof costModel.perSend];
    if (c) md.push(`| ${label} | ${c.dynamodbRequests} | ${fmt(c.rcu)} | ${fmt(c.wcu)} | ${c.connectionPosts} | ${c.putEventsCalls} / ${c.putEventsEntries} | ${c.sqsSendMessage} | ${c.lambdaInvocations} |`);
  }
  md.push(
    '',
    'Totals per send: the send handler plus, for chats the fan-out queue serves, the worker (one invocation per job here; SQS batches of up to 10',
    'jobs can share an invocation under load). SQS receive/delete calls made by the Lambda event source are not counted.',
    '',
  );

  md.push(...coldStartSection(input.coldStart));

  md.push(
    '## Method and caveats',
    '',
    '- Capacity units are what DynamoDB Local reports: writes in 1 KB units (transactions count double), reads in 4 KB units',
    '  (eventually consistent reads half, Query and BatchGetItem summed over the items read), index writes separately. On an',
    '  on-demand table they equal write and read request units. Reads and writes are told apart by the API called.',
    '- A write whose condition fails answers no ConsumedCapacity; such requests are listed above when they occur.',
    '- Round trips: every DynamoDB request\'s [start, end] is recorded in a client middleware; overlapping intervals are merged and',
    '  the groups counted. "3 (4)" means 3 merged groups but a chain of 4 strictly sequential requests: merging undercounts when a',
    '  long request overlaps two sequential ones (e.g. an UpdateItem alongside Query → BatchGetItem). The critical path lies between',
    '  the two; a round-trip target passes only when both meet it.',
    '- Posts and PutEvents are counted by the fake endpoints; every online user\'s connection answers 200.',
    input.fanOutQueue.workerRoute
      ? `- Fan-out queue: \`FANOUT_QUEUE_URL\` points at the fake SQS endpoint as the stack configures it; jobs an operation queues are then run through the real worker (\`${input.fanOutQueue.workerRoute}\`) in batches of ≤ 10, measured separately (rows marked ↳) and added to the totals of the targets and cost model; the reply is sent before the worker runs, so its requests are not in the round trips before the reply.`
      : '- Fan-out queue: none in this version of the route table; every delivery is inline.',
    '- Seeding (users, connections, chats, messages) goes through the handlers (`$connect`), the domain functions and the',
    '  repository of `functions/lib/runtime.ts`, and is not measured.',
    `- Whole run: ${Object.entries(input.requestsWholeRun).map(([c, n]) => `${c} ${fmt(n)}`).join(', ')} DynamoDB requests; ${input.environment.seconds} s on ${input.environment.cpus} × ${input.environment.cpuModel}, Node ${input.environment.node}.`,
    '',
  );
  await writeFile(join(input.root, 'bench/RESULTS.md'), md.join('\n'));
}

/** `a; b; a` → `2 × a; b`: a burst of identical failures (lost seq races) reads as one count. */
function tally(items: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].map(([item, n]) => (n > 1 ? `${n} × ${item}` : item)).join('; ');
}
