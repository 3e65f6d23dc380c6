/**
 * Issue 17's bench rows on their own (`npx tsx bench/notifications.ts`): the
 * same harness, seed and "Notifications" scenarios as `npm run bench`,
 * without the cold-start measurement, printing the operations' figures and
 * the coalescing targets (PASS/FAIL). `npm run bench` measures the same rows
 * and writes them to bench/RESULTS.md.
 */
import { fileURLToPath } from 'node:url';
import { createEnvironment, createHarness, startBenchDynamo, type BenchEnvironment } from './harness';
import { createMeasurer, type OperationResult } from './measure';
import { notificationTargets } from './report';
import { scenarios } from './scenarios';
import { seed } from './seed';
import type { DynamoHandle } from '../local/dynamo';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main() {
  let dynamo: DynamoHandle | undefined;
  let environment: BenchEnvironment | undefined;
  try {
    environment = await createEnvironment();
    dynamo = await startBenchDynamo();
    const harness = await createHarness(environment, dynamo, ROOT);
    const fixtures = await seed(harness, log);
    const measure = createMeasurer(harness.recorder, harness.fake, log, harness.runWorker);
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
  } finally {
    await dynamo?.stop();
    await environment?.fake.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
