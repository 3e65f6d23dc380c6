/**
 * `npm run bench`: runs the real handlers in process against DynamoDB Local
 * and counts, per operation, what does not depend on machine speed:
 * DynamoDB requests by command, consumed RCU/WCU (table + indexes),
 * sequential round trips, `@connections` posts and EventBridge PutEvents.
 * Then bundles every route like the deployed functions and measures bundle
 * size and module init time. Writes `bench/RESULTS.md` and
 * `bench/results.json`.
 *
 * No network: DynamoDB Local on a free loopback port; `@connections`,
 * EventBridge and the issuer's JWKS are served by `fake-aws.ts`.
 *
 * The parts: `harness.ts` (environment, handlers, invocations), `seed.ts`
 * (the data), `scenarios.ts` (one function per measured operation),
 * `measure.ts` + `recorder.ts` (the counting), `cold-start.ts` (bundles),
 * `report.ts` (the files).
 *
 * `npm run bench -- --only=<id>,<id>…` measures just those operations (in
 * their usual order, after the usual seed; no cold starts) and prints their
 * figures and the budget targets they decide, PASS/FAIL, without touching
 * the report files.
 */
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { httpRoutes, queueRoutes, wsRoutes } from '../functions/routes';
import { measureColdStarts } from './cold-start';
import { evaluateBudgets } from './budgets';
import { runBench, runMain, type BenchEnvironment } from './harness';
import type { OperationResult } from './measure';
import { moderationTargets, notificationTargets, writeReport } from './report';
import { scenarios } from './scenarios';
import { MESSAGE_BYTES, RUNS } from './seed';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COLD_START_RUNS = 5;

const log = (line: string) => process.stdout.write(`${line}\n`);

/** The measured code's version: HEAD and the uncommitted changes to the code the handlers run. */
async function codeVersion(): Promise<{ commit: string; uncommitted: string[] }> {
  const git = (args: string[]) =>
    new Promise<string>((done) => execFile('git', args, { cwd: ROOT, timeout: 10_000 }, (error, stdout) => done(error ? '' : stdout)));
  const [commit, status] = await Promise.all([git(['rev-parse', '--short', 'HEAD']), git(['status', '--porcelain', '--', 'functions', 'lib', 'package.json'])]);
  // Porcelain lines are `XY path`: the status letters may start with a space, so never trim before slicing.
  const changed = status.split('\n').filter((line) => line.length > 3).map((line) => line.slice(3));
  return { commit: commit.trim() || 'unknown', uncommitted: changed };
}

/** Bundle size and module init of every function, bundled as lib/bundling.ts does, in fresh node processes interleaved with the baseline. */
function measureBundles({ env }: BenchEnvironment): ReturnType<typeof measureColdStarts> {
  log('Cold start: bundling every route as lib/bundling.ts does and importing each bundle in fresh node processes, interleaved with the baseline');
  const routes = [
    ...httpRoutes.map((r) => ({ name: r.name, handler: r.handler, kind: 'http' as const, permissions: r.permissions })),
    ...wsRoutes.map((r) => ({ name: r.name, handler: r.handler, kind: 'ws' as const, permissions: r.permissions })),
    ...queueRoutes.map((r) => ({ name: r.name, handler: r.handler, kind: 'queue' as const, permissions: (r as { permissions?: readonly string[] }).permissions })),
  ];
  return measureColdStarts({
    root: ROOT,
    routes,
    // The DynamoDB endpoint is never contacted at import. AWS_EXECUTION_ENV turns the tracer on as on Lambda, so its init
    // work (patching http, https and fetch) is measured; NODE_OPTIONS is set per variant by measureColdStarts.
    env: {
      PATH: process.env.PATH ?? '',
      ...env,
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      POWERTOOLS_TRACE_ENABLED: 'true',
    },
    runs: COLD_START_RUNS,
    log,
  });
}

// Before any SDK client exists: the SDK warns once per process on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** `--only=a,b`: the operation ids to measure; undefined = all of them. */
const only = (() => {
  const arg = process.argv.slice(2).find((a) => a.startsWith('--only='));
  return arg ? new Set(arg.slice('--only='.length).split(',').filter(Boolean)) : undefined;
})();

/** What a `--only` run prints instead of the report. */
function printOnly(results: readonly OperationResult[]): void {
  for (const o of results) {
    const f = o.steady;
    const commands = Object.entries(f.byCommand).map(([c, n]) => `${n} ${c}`).join(', ');
    log(`${o.id}: ${f.requests} DynamoDB requests (${commands}), ${f.roundTrips.total} round trips, ${f.rcu} RCU, ${f.wcu} WCU, ${f.connectionPosts} posts, ${f.putEventsEntries} PutEvents entries`);
  }
  // The budget rows of bench/budgets.ts whose scenarios all ran (the others would only say "not measured").
  const budgetRows = evaluateBudgets(results).filter((t) => !t.measured.startsWith('not measured'));
  for (const t of [...notificationTargets(results), ...moderationTargets(results), ...budgetRows]) log(`${t.pass ? 'PASS' : 'FAIL'} ${t.target}: ${t.measured}`);
}

async function main() {
  const started = performance.now();
  let coldStart: Awaited<ReturnType<typeof measureBundles>> | undefined;
  // Cold starts first, while the machine is quiet (before DynamoDB Local starts).
  const beforeDynamo = async (environment: BenchEnvironment) => {
    if (!only) coldStart = await measureBundles(environment);
  };
  await runBench({ root: ROOT, log, beforeDynamo }, async ({ harness, fixtures, measure }) => {
    const results: OperationResult[] = [];
    for (const area of scenarios) {
      log(area.title);
      for (const scenario of area.scenarios) {
        const spec = scenario(harness, fixtures);
        if (!only || only.has(spec.id)) results.push(await measure(spec));
      }
    }
    if (only || !coldStart) {
      printOnly(results);
      return;
    }

    const seconds = (performance.now() - started) / 1000;
    const { totals } = harness.recorder;
    await writeReport({
      root: ROOT,
      operations: results,
      coldStart,
      scanRequestsWholeRun: totals.get('Scan') ?? 0,
      requestsWholeRun: Object.fromEntries([...totals].sort(([a], [b]) => a.localeCompare(b))),
      environment: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', seconds: Math.round(seconds), code: await codeVersion() },
      fanOutQueue: { workerRoute: harness.workerRoute, workerInvocationsWholeRun: harness.workerInvocations },
      setup: {
        runsPerOperation: RUNS,
        coldStartRuns: COLD_START_RUNS,
        messageBytes: MESSAGE_BYTES,
        onlineShare: 0.1,
      },
    });
    log(`Wrote bench/RESULTS.md and bench/results.json in ${seconds.toFixed(0)} s`);
  });
}

runMain(main);
