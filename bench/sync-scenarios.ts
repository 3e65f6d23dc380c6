/**
 * Bench rows for `GET /v1/sync` (SPEC §7, issue 15) and their budgets:
 * a sync that returns nothing costs ≤ 1 + ⌈C/100⌉ DynamoDB requests for a
 * user in C chats (the user-partition Query of memberships and own log, and
 * ⌈C/100⌉ BatchGetItem of the chats' heads), one that returns events at
 * most one more per chat that changed (that chat's log Query).
 *
 * The users are the seed's `l10`, `l100`, `l1000` (in 10, 100, 1,000
 * direct chats that nothing else in the bench changes). A chat whose head
 * moved within `HEAD_SLACK_MS` of a cursor is read even if nothing in it
 * is new (`domain/change-log.ts`), so each run waits until the seed's and
 * the previous run's changes are older than that before taking its cursor.
 */
import { HEAD_SLACK_MS, SETTLE_MS } from '../functions/domain/change-log';
import { fmt, type Budget, type BudgetContext, type Target } from './budgets';
import type { Harness } from './harness';
import type { OperationResult, OperationSpec } from './measure';
import { LIST_USERS, type Fixtures } from './seed';

type Scenario = (h: Harness, f: Fixtures) => OperationSpec;

/** Chats changed per run of a `sync-events-*` row. */
const CHANGED = 2;
const RUNS = 2;

let lastChangeAt = 0;
/** Waits until every change so far is past a new cursor's head slack (see above). */
async function quiet() {
  const wait = lastChangeAt + HEAD_SLACK_MS + SETTLE_MS + 500 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

/** A fresh cursor of `user`, as a client holds it after a sync (unmeasured). */
async function cursorOf(h: Harness, user: string): Promise<string> {
  return (await h.http('Sync', user, {}, [200]))!.cursor as string;
}

const emptySync =
  (user: string, count: number): Scenario =>
  (h) => {
    let cursor = '';
    return {
      id: `sync-empty-${count}`,
      area: 'Sync',
      label: `\`GET /v1/sync\` with nothing new, user in ${count.toLocaleString('en-US')} chats`,
      route: 'GET /v1/sync',
      delivers: false,
      runs: RUNS,
      prepare: async () => {
        // The seed created these chats moments ago (their heads are recent) only before the first run.
        if (lastChangeAt === 0) lastChangeAt = Date.now();
        await quiet();
        cursor = await cursorOf(h, user);
      },
      invoke: async () => {
        const page = await h.http('Sync', user, { query: { since: cursor } }, [200]);
        if (page?.events.length !== 0) throw new Error(`sync-empty-${count}: ${page?.events.length} events`);
      },
    };
  };

const eventsSync =
  (user: string, count: number): Scenario =>
  (h) => {
    let cursor = '';
    return {
      id: `sync-events-${count}`,
      area: 'Sync',
      label: `\`GET /v1/sync\` after one message in each of ${CHANGED} of the user's ${count.toLocaleString('en-US')} chats`,
      route: 'GET /v1/sync',
      delivers: false,
      runs: RUNS,
      prepare: async (i) => {
        await quiet();
        cursor = await cursorOf(h, user);
        // Each run changes chats of its own (the list is most recent first, so these are not the previous run's):
        // the user sends on another device, which their sync returns too (SPEC §7).
        const { chats } = (await h.http('ListChats', user, { query: { limit: '100' } }, [200]))!;
        for (const { id: chatId } of chats.slice(i * CHANGED, (i + 1) * CHANGED) as { id: string }[]) {
          await h.http('SendMessage', user, { params: { chatId }, body: { content: 'sync bench' } }, [201]);
        }
        lastChangeAt = Date.now();
      },
      invoke: async () => {
        const page = await h.http('Sync', user, { query: { since: cursor } }, [200]);
        const news = page?.events.filter((e: { type: string }) => e.type === 'message.new').length;
        if (news !== CHANGED) throw new Error(`sync-events-${count}: ${news} message.new, expected ${CHANGED}`);
      },
    };
  };

/** The areas `scenarios.ts` runs. */
export const syncAreas = [
  {
    title: 'Sync (SPEC §7)',
    scenarios: [...LIST_USERS.map(([user, count]) => emptySync(user, count)), ...LIST_USERS.map(([user, count]) => eventsSync(user, count))],
  },
];

/** SPEC §7 sync budgets (issue 15). */
export const syncBudgets: Budget = (c: BudgetContext): Target[] => {
  const rows = (prefix: string, extra: number) =>
    LIST_USERS.map(([, count]) => {
      const op: OperationResult | undefined = c.op(`${prefix}-${count}`);
      return { count, op, got: op ? c.total(op).requests : undefined, max: 1 + Math.ceil(count / 100) + extra };
    });
  const target = (label: string, r: ReturnType<typeof rows>): Target => ({
    target: label,
    pass: r.every((x) => x.got !== undefined && x.got <= x.max),
    measured: r.map((x) => (x.got === undefined ? `C=${fmt(x.count)}: not measured` : `C=${fmt(x.count)}: ${x.got} ≤ ${x.max} (${Object.entries(c.total(x.op!).byCommand).map(([k, n]) => `${k} ${n}`).join(', ')})`)).join('; '),
  });
  return [
    target('Sync with nothing new ≤ 1 + ⌈C/100⌉ DynamoDB requests for a user in C chats (memberships + own log Query; heads BatchGetItem)', rows('sync-empty', 0)),
    target(`Sync with events ≤ 1 + ⌈C/100⌉ + R DynamoDB requests, R = ${CHANGED} chats changed (one log Query per changed chat)`, rows('sync-events', CHANGED)),
  ];
};
