/**
 * One measured operation: reset the counters, invoke the handler, turn the
 * recorded DynamoDB requests and fake-AWS calls into machine-independent
 * figures. Each operation runs several times; the report uses the last
 * (steady-state) run and says whether the warm runs agreed.
 */
import type { FakeAws, QueuedJob } from './fake-aws';
import { longestChain, roundTrips, roundTripSteps, type Recorder, type RequestRecord } from './recorder';

export interface RequestDetail {
  command: string;
  what: string;
  rcu: number;
  wcu: number;
  indexWcu: number;
  /** Which sequential round trip (1-based) the request belongs to. */
  step: number;
  error?: string;
}

export interface RunFigures {
  requests: number;
  byCommand: Record<string, number>;
  writeRequests: number;
  rcu: number;
  wcu: number;
  indexRcu: number;
  indexWcu: number;
  roundTrips: {
    /** Completed before the fan-out began: the first participants Query on GSI1, PostToConnection or SQS SendMessage; null when the operation delivers nothing. */
    beforeFanOut: number | null;
    total: number;
    /**
     * Longest chains of strictly sequential requests (same scopes). Merging
     * undercounts when a long request overlaps two sequential ones (e.g. an
     * UpdateItem running alongside Query → BatchGetItem); the chain can
     * overcount unrelated requests that happen to follow each other. The
     * critical path lies between the two; they agree in most cases.
     */
    beforeFanOutChain: number | null;
    totalChain: number;
  };
  /** Participants Query on GSI1 + BatchGetItem of presence items. */
  connectionLookups: number;
  connectionPosts: number;
  goneAnswers: number;
  putEventsCalls: number;
  putEventsEntries: number;
  /** SQS SendMessage calls (fan-out jobs handed to the worker). */
  queueSends: number;
  /** Requests whose response carried no ConsumedCapacity (failed conditions: DynamoDB still charges them). */
  capacityMissing: number;
  /** Single-item writes refused by their condition (ConditionalCheckFailedException): each billed ≥ 1 WCU. */
  failedConditionalWrites: number;
  errors: string[];
  detail: RequestDetail[];
}

export interface WorkerFigures extends RunFigures {
  /** Worker invocations (SQS batches of ≤ 10 jobs). */
  invocations: number;
  jobs: number;
}

export interface OperationResult {
  id: string;
  area: string;
  label: string;
  /** Route or WebSocket action invoked. */
  route: string;
  /** Lambda invocations per operation (one handler call). */
  lambdaInvocations: number;
  runs: number;
  /** The last run: the handler's own work, up to its reply. */
  steady: RunFigures;
  /** The fan-out worker's work for the jobs the handler queued (last run), when it queued any. */
  worker?: WorkerFigures;
  /** Whether every warm run (all but the first) had the same counts. */
  stable: boolean;
  /** Distinct values of the warm runs when they differed. */
  variations: string[];
  /** The first (cold container) run, for reference. */
  first: Pick<RunFigures, 'requests' | 'byCommand' | 'rcu' | 'wcu' | 'roundTrips'>;
  notes: string[];
}

const round = (n: number) => Math.round(n * 100) / 100;

export function figures(requests: readonly RequestRecord[], fake: FakeAws['counters'], delivers: boolean): RunFigures {
  const byCommand: Record<string, number> = {};
  let rcu = 0;
  let wcu = 0;
  let indexRcu = 0;
  let indexWcu = 0;
  let writeRequests = 0;
  let capacityMissing = 0;
  let failedConditionalWrites = 0;
  const errors: string[] = [];
  for (const r of requests) {
    byCommand[r.command] = (byCommand[r.command] ?? 0) + 1;
    rcu += r.rcu;
    wcu += r.wcu;
    indexRcu += r.indexRcu;
    indexWcu += r.indexWcu;
    if (/Put|Update|Delete|Write/.test(r.command)) writeRequests++;
    if (!r.capacityReported) capacityMissing++;
    if (r.error === 'ConditionalCheckFailedException' && /Put|Update|Delete/.test(r.command)) failedConditionalWrites++;
    if (r.error) errors.push(`${r.command} ${r.what}: ${r.error}`);
  }
  for (const call of fake.unexpected) errors.push(`unexpected call to the fake AWS endpoints: ${call}`);
  if (fake.gone) errors.push(`${fake.gone} PostToConnection answered 410 Gone`);
  const firstParticipants = Math.min(...requests.filter((r) => r.participantsQuery).map((r) => r.start), Infinity);
  const firstPost = Math.min(...fake.posts, Infinity);
  // Inline chats start delivering with the participants Query or a post; queued chats with the SQS SendMessage.
  const fanOutStart = Math.min(firstParticipants, firstPost, ...fake.queueSendTimes);
  // Requests completed before the fan-out began (writes that run alongside the fan-out are not "before" it).
  const before = requests.filter((r) => r.end <= fanOutStart);

  // Step numbers for the detail table.
  const step = roundTripSteps(requests);
  return {
    requests: requests.length,
    byCommand: Object.fromEntries(Object.entries(byCommand).sort(([a], [b]) => a.localeCompare(b))),
    writeRequests,
    rcu: round(rcu),
    wcu: round(wcu),
    indexRcu: round(indexRcu),
    indexWcu: round(indexWcu),
    roundTrips: {
      beforeFanOut: delivers ? roundTrips(before) : null,
      total: roundTrips(requests),
      beforeFanOutChain: delivers ? longestChain(before) : null,
      totalChain: longestChain(requests),
    },
    connectionLookups: requests.filter((r) => r.participantsQuery || r.presenceLookup).length,
    connectionPosts: fake.posts.length,
    goneAnswers: fake.gone,
    putEventsCalls: fake.putEventsCalls,
    putEventsEntries: fake.putEventsEntries,
    queueSends: fake.queueSends,
    capacityMissing,
    failedConditionalWrites,
    errors,
    detail: [...requests].sort((a, b) => a.start - b.start).map((r) => ({
      command: r.command,
      what: r.what,
      rcu: round(r.rcu),
      wcu: round(r.wcu),
      indexWcu: round(r.indexWcu),
      step: step.get(r)!,
      ...(r.error ? { error: r.error } : {}),
    })),
  };
}

/** What must agree between warm runs (round trips are timing-based and reported separately). */
function signature(f: RunFigures, w: WorkerFigures | undefined): string {
  const one = (x: RunFigures) => ({
    byCommand: x.byCommand,
    rcu: x.rcu,
    wcu: x.wcu,
    indexWcu: x.indexWcu,
    posts: x.connectionPosts,
    putEvents: [x.putEventsCalls, x.putEventsEntries],
    queue: x.queueSends,
  });
  return JSON.stringify({ ...one(f), ...(w ? { worker: { ...one(w), invocations: w.invocations } } : {}) });
}

/** `before / total`, each as `merged` or `merged (chain)` when the two differ. */
export function roundTripText(f: RunFigures): string {
  const one = (merged: number | null, chain: number | null) => (merged === null ? '–' : chain !== null && chain !== merged ? `${merged} (${chain})` : String(merged));
  return `${one(f.roundTrips.beforeFanOut, f.roundTrips.beforeFanOutChain)} / ${one(f.roundTrips.total, f.roundTrips.totalChain)}`;
}

export interface OperationSpec {
  id: string;
  area: string;
  label: string;
  route: string;
  /** Whether the operation delivers events (sends, typing, read markers, presence, chat.created). */
  delivers: boolean;
  runs?: number;
  /** Unmeasured setup before run `i`. */
  prepare?: (i: number) => Promise<void>;
  /** The measured handler invocation (throws on an unexpected answer). */
  invoke: (i: number) => Promise<void>;
  notes?: string[];
}

/** Runs the fan-out worker on queued jobs like the SQS event source (batches of ≤ 10); answers the invocation count. */
export type WorkerRunner = (jobs: QueuedJob[]) => Promise<number>;

export function createMeasurer(recorder: Recorder, fake: FakeAws, log: (line: string) => void, runWorker?: WorkerRunner) {
  async function settle() {
    for (let i = 0; recorder.inFlight > 0 && i < 500; i++) await new Promise((r) => setTimeout(r, 10));
  }
  return async function measure(spec: OperationSpec): Promise<OperationResult> {
    const runs = spec.runs ?? 4;
    const all: RunFigures[] = [];
    const workers: (WorkerFigures | undefined)[] = [];
    for (let i = 0; i < runs; i++) {
      await spec.prepare?.(i);
      // Jobs queued by seeding or preparation are delivered unmeasured.
      const leftover = fake.takeJobs();
      if (leftover.length && runWorker) await runWorker(leftover);
      await settle();
      recorder.reset();
      fake.reset();
      await spec.invoke(i);
      if (recorder.inFlight > 0) {
        await settle();
        throw new Error(`${spec.id}: DynamoDB requests still in flight after the handler returned`);
      }
      all.push(figures(recorder.requests, fake.counters, spec.delivers));
      const jobs = fake.takeJobs();
      if (jobs.length && runWorker) {
        recorder.reset();
        fake.reset();
        const invocations = await runWorker(jobs);
        await settle();
        workers.push({ ...figures(recorder.requests, fake.counters, false), invocations, jobs: jobs.length });
      } else workers.push(undefined);
    }
    const steady = all[all.length - 1];
    const worker = workers[workers.length - 1];
    const warm = all.slice(1);
    const signatures = [...new Set(warm.map((f, i) => signature(f, workers[i + 1])))];
    const rt = [...new Set(warm.map((f) => roundTripText(f)))];
    const variations = [...(signatures.length > 1 ? signatures : []), ...(rt.length > 1 ? [`round trips (before fan-out/total) across warm runs: ${rt.join(', ')}`] : [])];
    const first = all[0];
    log(
      `  ${spec.id.padEnd(22)} ${String(steady.requests).padStart(3)} req  ${String(steady.rcu).padStart(7)} RCU  ${String(steady.wcu).padStart(6)} WCU  ` +
        `rt ${roundTripText(steady)}  posts ${steady.connectionPosts}  events ${steady.putEventsCalls}/${steady.putEventsEntries}` +
        (steady.queueSends ? `  queued ${steady.queueSends}` : '') +
        (signatures.length > 1 ? '  (warm runs differ)' : ''),
    );
    if (worker) {
      log(
        `  ${'  ↳ fan-out worker'.padEnd(22)} ${String(worker.requests).padStart(3)} req  ${String(worker.rcu).padStart(7)} RCU  ${String(worker.wcu).padStart(6)} WCU  ` +
          `rt ${roundTripText(worker)}  posts ${worker.connectionPosts}  events ${worker.putEventsCalls}/${worker.putEventsEntries}  invocations ${worker.invocations}`,
      );
    }
    return {
      id: spec.id,
      area: spec.area,
      label: spec.label,
      route: spec.route,
      lambdaInvocations: 1,
      runs,
      steady,
      ...(worker ? { worker } : {}),
      stable: signatures.length === 1,
      variations,
      first: { requests: first.requests, byCommand: first.byCommand, rcu: first.rcu, wcu: first.wcu, roundTrips: first.roundTrips },
      notes: spec.notes ?? [],
    };
  };
}
