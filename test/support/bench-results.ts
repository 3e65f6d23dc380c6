/**
 * Bench results made by hand for the budget tests (`bench/budgets.ts`):
 * one measured run (`RunFigures`) with only the counts a budget reads set,
 * and one operation (`OperationResult`) around it.
 */
import type { OperationResult, RequestDetail, RunFigures } from '../../bench/measure';

/**
 * A run of `byCommand` DynamoDB requests (their sum is `requests`). `wcu`
 * defaults to the sum of `detail`'s write units; everything else is zero.
 */
export function runFigures(byCommand: Record<string, number>, { wcu, rcu = 0, detail = [] }: { wcu?: number; rcu?: number; detail?: RequestDetail[] } = {}): RunFigures {
  return {
    requests: Object.values(byCommand).reduce((a, b) => a + b, 0),
    byCommand,
    writeRequests: 0,
    rcu,
    wcu: wcu ?? detail.reduce((a, d) => a + d.wcu, 0),
    indexRcu: 0,
    indexWcu: 0,
    roundTrips: { beforeFanOut: null, total: 1, beforeFanOutChain: null, totalChain: 1 },
    connectionLookups: 0,
    connectionPosts: 0,
    goneAnswers: 0,
    putEventsCalls: 0,
    putEventsEntries: 0,
    queueSends: 0,
    capacityMissing: 0,
    failedConditionalWrites: 0,
    errors: [],
    detail,
  };
}

/** Operation `id` whose steady runs measured `steady` and whose first (cold) run `first`. */
export function operation(id: string, steady: RunFigures, first: RunFigures = steady): OperationResult {
  return { id, area: 'x', label: id, route: 'x', lambdaInvocations: 1, runs: 4, steady, stable: true, variations: [], first, notes: [] };
}
