/**
 * An operation's figures with its fan-out worker's added: what one send (or
 * other operation) costs end to end.
 */
import type { OperationResult } from './measure';

const r2 = (n: number) => Math.round(n * 100) / 100;

export type Totals = ReturnType<typeof total>;

/** The handler's work plus, when it queued fan-out jobs, the worker's. */
export function total(op: OperationResult) {
  const f = op.steady;
  const w = op.worker;
  const byCommand: Record<string, number> = { ...f.byCommand };
  for (const [c, n] of Object.entries(w?.byCommand ?? {})) byCommand[c] = (byCommand[c] ?? 0) + n;
  return {
    requests: f.requests + (w?.requests ?? 0),
    byCommand,
    writeRequests: f.writeRequests + (w?.writeRequests ?? 0),
    rcu: r2(f.rcu + (w?.rcu ?? 0)),
    wcu: r2(f.wcu + (w?.wcu ?? 0)),
    indexWcu: r2(f.indexWcu + (w?.indexWcu ?? 0)),
    /** Writes refused by their condition: billed (≥ 1 WCU each) but reported without ConsumedCapacity. */
    failedConditionalWrites: f.failedConditionalWrites + (w?.failedConditionalWrites ?? 0),
    connectionLookups: f.connectionLookups + (w?.connectionLookups ?? 0),
    connectionPosts: f.connectionPosts + (w?.connectionPosts ?? 0),
    putEventsCalls: f.putEventsCalls + (w?.putEventsCalls ?? 0),
    putEventsEntries: f.putEventsEntries + (w?.putEventsEntries ?? 0),
    queueSends: f.queueSends,
    lambdaInvocations: op.lambdaInvocations + (w?.invocations ?? 0),
  };
}
