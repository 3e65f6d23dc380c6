/**
 * Issue 17's bench rows on their own (`npx tsx bench/notifications.ts`): the
 * same harness, seed and "Notifications" scenarios as `npm run bench`,
 * without the cold-start measurement, printing the operations' figures and
 * the coalescing targets (PASS/FAIL). `npm run bench` measures the same rows
 * and writes them to bench/RESULTS.md.
 */
import { fileURLToPath } from 'node:url';
import { runBench, runMain } from './harness';
import type { OperationResult } from './measure';
import { notificationTargets } from './report';
import { scenarios } from './scenarios';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const log = (line: string) => process.stdout.write(`${line}\n`);

runMain(() =>
  runBench({ root: ROOT, log }, async ({ harness, fixtures, measure }) => {
    const area = scenarios.find((a) => a.title.startsWith('Notifications'))!;
    const results: OperationResult[] = [];
    for (const scenario of area.scenarios) results.push(await measure(scenario(harness, fixtures)));
    for (const o of results) {
      const w = o.worker;
      log(
        `${o.id}: handler ${o.steady.requests} requests, ${o.steady.rcu} RCU, ${o.steady.wcu} WCU; worker ${w?.requests ?? 0} requests, ${w?.rcu ?? 0} RCU, ${w?.wcu ?? 0} WCU; PutEvents entries ${o.steady.putEventsEntries + (w?.putEventsEntries ?? 0)}`,
      );
    }
    for (const t of notificationTargets(results)) log(`${t.pass ? 'PASS' : 'FAIL'} ${t.target}: ${t.measured}`);
  }),
);
