/**
 * Issue 15's bench rows on their own (`npx tsx bench/sync.ts`): the same
 * harness, seed and "Sync" scenarios as `npm run bench` (plus the chat-of-2
 * send, for the send's extra write), without the cold-start measurement,
 * printing the figures and the sync targets (PASS/FAIL). `npm run bench`
 * measures the same rows and writes them to bench/RESULTS.md.
 */
import { fileURLToPath } from 'node:url';
import { createEnvironment, createHarness, startBenchDynamo, type BenchEnvironment } from './harness';
import { createMeasurer, type OperationResult } from './measure';
import { syncTargets } from './report';
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
    const send = scenarios.flatMap((a) => a.scenarios).map((s) => s(harness, fixtures)).find((o) => o.id === 'send-2')!;
    const area = scenarios.find((a) => a.title.startsWith('Sync'))!;
    const results: OperationResult[] = [await measure(send)];
    for (const scenario of area.scenarios) results.push(await measure(scenario(harness, fixtures)));
    for (const o of results) {
      const writes = o.steady.detail.filter((d) => d.wcu > 0).map((d) => `${d.command} ${d.what} ${d.wcu}`);
      log(`${o.id}: ${o.steady.requests} requests (${Object.entries(o.steady.byCommand).map(([c, n]) => `${c} ${n}`).join(', ')}), ${o.steady.rcu} RCU, ${o.steady.wcu} WCU [${writes.join('; ')}]`);
    }
    for (const t of syncTargets(results)) log(`${t.pass ? 'PASS' : 'FAIL'} ${t.target}: ${t.measured}`);
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
