/**
 * The PASS/FAIL rows of `bench/RESULTS.md` for capabilities beyond the core
 * targets in `report.ts`: one {@link Budget} per capability, each from its
 * issue's budget. To add rows for a new capability:
 *
 * 1. measure it: a scenario in `bench/scenarios.ts` (its `id` is how budgets
 *    find it); facts that are not request counts (failed sends, seqs seen)
 *    go through {@link recordOutcome};
 * 2. budget it: a `Budget` in {@link budgets} below (or in a module of its
 *    own under `bench/budgets/`, listed there), usually with
 *    {@link perOperation}.
 *
 * A budget whose scenario did not run reports FAIL "not measured", so a
 * scenario that disappears cannot leave a stale PASS behind.
 */
import type { OperationResult } from './measure';
import { safetyBudgets } from './safety';
import { syncBudgets } from './sync';
import { total, type Totals } from './totals';

export interface Target {
  target: string;
  pass: boolean;
  measured: string;
  /**
   * Why the target no longer applies (issue 20 withdrew issue 6's ≤ 3 WCU and ≤ 2 round trips per send: they are
   * the price of exact unread counts, the per-user rate limit and gap-free seqs). A withdrawn target is still
   * measured and shown, as "withdrawn" instead of FAIL, and is not counted as failing.
   */
  withdrawn?: string;
}

/** What budgets read: the measured operations and what scenarios recorded besides counts. */
export interface BudgetContext {
  op(id: string): OperationResult | undefined;
  /** Handler and fan-out worker together. */
  total(op: OperationResult): Totals;
  outcome(id: string): ScenarioOutcome | undefined;
}

export type Budget = (c: BudgetContext) => Target[];

/** Facts a scenario observed in its last run that the request recorder cannot see. */
export interface ScenarioOutcome {
  /** Operations (sends) started and how many of them failed. */
  attempted?: number;
  failed?: number;
  /** Seqs answered, in the order answered. */
  seqs?: number[];
  [fact: string]: unknown;
}

const outcomes = new Map<string, ScenarioOutcome>();

/** Records (replaces) the outcome of scenario `id`'s latest run. */
export function recordOutcome(id: string, outcome: ScenarioOutcome): void {
  outcomes.set(id, outcome);
}

export function budgetContext(operations: readonly OperationResult[]): BudgetContext {
  return {
    op: (id) => operations.find((o) => o.id === id),
    total,
    outcome: (id) => outcomes.get(id),
  };
}

export const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 }));

/**
 * One row over one or more scenarios: `value` per scenario must be ≤
 * `limit` (a number, or a function of the context, e.g. a multiple of
 * another row's figure). `unit` labels the figures.
 */
export function perOperation(spec: {
  target: string;
  ids: readonly string[];
  value: (op: OperationResult, c: BudgetContext) => number;
  limit: number | ((c: BudgetContext) => number | undefined);
  unit: string;
  label?: (id: string) => string;
}): Budget {
  return (c) => {
    const limit = typeof spec.limit === 'number' ? spec.limit : spec.limit(c);
    const missing = spec.ids.filter((id) => !c.op(id));
    if (missing.length > 0 || limit === undefined) {
      return [{ target: spec.target, pass: false, measured: `not measured: ${missing.length ? missing.join(', ') : 'the reference'} did not run` }];
    }
    const rows = spec.ids.map((id) => ({ id, value: spec.value(c.op(id)!, c) }));
    return [
      {
        target: spec.target,
        pass: rows.every((r) => r.value <= limit),
        measured: rows.map((r) => `${spec.label?.(r.id) ?? r.id}: ${fmt(r.value)} ${spec.unit}`).join('; ') + ` (limit ${fmt(limit)} ${spec.unit})`,
      },
    ];
  };
}

// ------------------------------------------------------------------ hot chats (issue 20)

/** The contended sends of `hotChatBurst` in `scenarios.ts`: simultaneous senders into one chat of 100. */
export const HOT_CHAT_BURSTS = [10, 50] as const;
export const burstId = (senders: number) => `send-100-burst-${senders}`;

/**
 * WCU a message of the send itself as DynamoDB bills it: the handler's
 * consumed capacity plus 1 WCU per failed conditional write (DynamoDB
 * charges a failed condition the write it would have been, at least 1 WCU,
 * but reports no ConsumedCapacity for it). The fan-out worker's writes (the
 * offline-notification marks of SPEC §8 coalescing) depend on who was
 * notified before, not on contention; the notification rows budget them.
 */
export function billedSendWcuPerMessage(op: OperationResult, messages: number): number {
  return Math.round(((op.steady.wcu + op.steady.failedConditionalWrites) / messages) * 100) / 100;
}

const hotChats: Budget = (c) => {
  const uncontended = c.op('send-100');
  const rows: Target[] = [];
  const base = uncontended && billedSendWcuPerMessage(uncontended, 1);
  rows.push(
    ...perOperation({
      target:
        'Hot chat: send WCU per message with 10 and 50 simultaneous senders into one chat ≤ 1.5 × the uncontended send (`send-100`; billed: failed conditions count 1 WCU each)',
      ids: HOT_CHAT_BURSTS.map(burstId),
      value: (op) => billedSendWcuPerMessage(op, Number(op.id.split('-').at(-1))),
      limit: () => (base === undefined ? undefined : 1.5 * base),
      unit: 'WCU/message',
      label: (id) => `${id.split('-').at(-1)} senders`,
    })(c),
  );
  const outcomes = HOT_CHAT_BURSTS.map((n) => ({ n, o: c.outcome(burstId(n)) }));
  const seqOk = (seqs: number[] = []) => {
    const sorted = [...seqs].sort((a, b) => a - b);
    return sorted.every((s, i) => i === 0 || s === sorted[i - 1] + 1) && new Set(sorted).size === sorted.length;
  };
  rows.push({
    target: 'Hot chat: 0 failed sends with 10 and 50 simultaneous senders; seqs unique and consecutive',
    pass: outcomes.every(({ o }) => o !== undefined && o.failed === 0 && seqOk(o.seqs) && o.seqs?.length === o.attempted),
    // "not measured" first when no burst ran, so `--only` runs leave the row out (bench/run.ts).
    measured: outcomes.every(({ o }) => o === undefined)
      ? 'not measured: the hot-chat bursts did not run'
      : outcomes
          .map(({ n, o }) => (o ? `${n} senders: ${o.failed} of ${o.attempted} failed, ${o.seqs?.length ?? 0} seqs ${seqOk(o.seqs) ? 'unique and consecutive' : 'NOT unique and consecutive'}` : `${n} senders: not measured`))
          .join('; '),
  });
  return rows;
};

// ------------------------------------------------------------------ posts per message (issue 20)

/** Sends per run of `conversation-2-ws` in `scenarios.ts` (3 each: within the rate limit over 4 runs and the bursts). */
export const CONVERSATION_SENDS = 6;
/** Connections a message of `conversation-2-ws` reaches: the recipient's and the sender's own. */
const CONVERSATION_CONNECTIONS = 2;

const postsPerMessage: Budget = perOperation({
  target:
    '`@connections` posts per recipient connection per message in a back-and-forth conversation ≤ 1.1 (SPEC §6: no `messages.read` for one\'s own send)',
  ids: ['conversation-2-ws'],
  value: (op, c) => Math.round((c.total(op).connectionPosts / (CONVERSATION_SENDS * CONVERSATION_CONNECTIONS)) * 100) / 100,
  limit: 1.1,
  unit: 'posts per connection per message',
  label: () => `chat of 2, ${CONVERSATION_SENDS} alternating sends`,
});

/** Every budget row, in report order. Add new capabilities here. */
// SPEC §9 reports and bans, §10 erasure and export (`safety.ts`; called through an arrow: the two modules import each other).
// SPEC §7 sync: sync requests and what the change log adds to each write (`sync.ts`).
export const budgets: Budget[] = [hotChats, postsPerMessage, (c) => safetyBudgets(c), (c) => syncBudgets(c)];

export function evaluateBudgets(operations: readonly OperationResult[]): Target[] {
  const c = budgetContext(operations);
  return budgets.flatMap((b) => b(c));
}
