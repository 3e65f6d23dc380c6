/**
 * Bench rows for sync (SPEC §7, issue 15), with their budgets:
 *
 * - `GET /v1/sync` for the users with 10, 100 and 1,000 direct chats of the
 *   seed (`l10`, `l100`, `l1000`): empty (nothing changed since the cursor),
 *   and with a new message in 3 of their chats. Budgets (design,
 *   `functions/domain/sync.ts`): an empty sync ≤ 1 + ⌈C/100⌉ requests (one
 *   Query of the caller's memberships and own log, one BatchGetItem of chat
 *   heads per 100 chats); one with events one more request per changed chat.
 * - what the change log adds to a write (SPEC §7: every event is recorded so
 *   an offline device can catch up): the WCU of the change-log items (the
 *   chat's log `CHANGES#…`, a user's log `USER#…/CHAT!…`) and of the chat's
 *   head (`changedAt` on `CHAT#…/META`, when written on its own), for an
 *   edit and a delete of the chat's last message and of an older one, a
 *   reaction, a read-marker move, a membership change (archive; participant
 *   add) and a send. Budget (issue 15): ≤ 1 extra WCU per edit, delete,
 *   reaction, marker move or membership change; the send's extra write ≤ 1
 *   WCU. A head that rides on the change's own write of the chat item (the
 *   preview an edit or delete of the last message replaces, `+changedAt` in
 *   the recorder's description) is the change's write, not an extra one;
 *   the rows say which kinds ride and which still pay a head write of their
 *   own (the floor, `domain/change-log.ts`).
 *
 * The change rows measure the worst case: each run changes a chat that has
 * been quiet for longer than half of `HEAD_SLACK_MS` (the point from which
 * a change also moves the chat's head), so the head write, when the design
 * has one, is in the figure. Their chats are created unmeasured, all at
 * once, before the first of them runs, and left quiet long enough.
 *
 * The sync rows need the chats they read to be quiet for `SETTLE_MS +
 * HEAD_SLACK_MS` before the cursor (a chat whose head is within the slack of
 * the cursor is read, by design): the first empty sync waits for that.
 */
import { HEAD_SLACK_MS, SETTLE_MS } from '../functions/domain/change-log';
import { createChat } from '../functions/domain/chats';
import { sendMessage } from '../functions/domain/messages';
import { prose } from '../test/support/prose';
import { fmt, type Budget, type BudgetContext, type Target } from './budgets';
import type { Harness } from './harness';
import type { OperationResult, OperationSpec, RunFigures } from './measure';
import { LIST_USERS, type Fixtures } from './seed';

type Scenario = (h: Harness, f: Fixtures) => OperationSpec;

const RUNS = 4;
/** Chats of the `sync-events-*` users that get a new message before each of their syncs. */
export const CHANGED_CHATS = 3;
const text = prose(200, 11);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ GET /v1/sync

/** The `lN` user's chats and when the latest of them last changed (its head). */
async function latestHead(h: Harness, userId: string): Promise<{ chatIds: string[]; head: number }> {
  const { memberships } = await h.ctx.repo.changes.userState(userId, '7ZZZZZZZZZ');
  const chatIds = memberships.map((m) => m.chatId);
  const heads = await h.ctx.repo.changes.heads(chatIds);
  return { chatIds, head: Math.max(0, ...[...heads.values()].map((v) => Date.parse(v))) };
}

/** Waits until every chat of `userId` has been quiet long enough that a cursor taken now skips it (see above). */
async function quiet(h: Harness, userId: string): Promise<string[]> {
  const { chatIds, head } = await latestHead(h, userId);
  const wait = head + SETTLE_MS + HEAD_SLACK_MS + 500 - Date.now();
  if (wait > 0) await sleep(wait);
  return chatIds;
}

const cursors = new Map<string, string>();

/** A fresh cursor for `userId` (`GET /v1/sync` without `since`: "now"), unmeasured. */
async function takeCursor(h: Harness, userId: string): Promise<string> {
  const page = await h.http('Sync', userId, {}, [200]);
  return page!.cursor as string;
}

const emptySync =
  (user: string, count: number): Scenario =>
  (h) => ({
    id: `sync-empty-${count}`,
    area: 'Sync',
    label: `\`GET /v1/sync?since=\`, user with ${count.toLocaleString('en-US')} chats, nothing changed since the cursor`,
    route: 'GET /v1/sync',
    delivers: false,
    runs: RUNS,
    prepare: async (i) => {
      if (i === 0) {
        await quiet(h, user);
        cursors.set(user, await takeCursor(h, user));
      }
    },
    invoke: async () => {
      const page = await h.http('Sync', user, { query: { since: cursors.get(user)! } }, [200]);
      if (page?.events.length !== 0 || page.hasMore) throw new Error(`sync-empty-${count}: ${page?.events.length} events, hasMore ${page?.hasMore}`);
    },
  });

const syncWithEvents =
  (user: string, count: number): Scenario =>
  (h) => {
    const changed: string[] = [];
    let cursor = '';
    return {
      id: `sync-events-${count}`,
      area: 'Sync',
      label: `\`GET /v1/sync?since=\`, user with ${count.toLocaleString('en-US')} chats, a new message in ${CHANGED_CHATS} of them since the cursor`,
      route: 'GET /v1/sync',
      delivers: false,
      runs: RUNS,
      prepare: async () => {
        if (changed.length === 0) changed.push(...(await quiet(h, user)).slice(0, CHANGED_CHATS));
        cursor = await takeCursor(h, user);
        // The same chats every run: the previous run's sends (before the cursor) leave no other chat within the head slack.
        // The user's own sends (SPEC §7: their other devices' actions are in their sync too).
        for (const chatId of changed) await sendMessage(h.ctx, h.principal(user), chatId, { content: text });
        await h.runWorker(h.fake.takeJobs());
        // Past the settle time: the sends are before the horizon the sync answers up to.
        await sleep(SETTLE_MS + 200);
      },
      invoke: async () => {
        const page = await h.http('Sync', user, { query: { since: cursor } }, [200]);
        const news = (page?.events as { type: string }[]).filter((e) => e.type === 'message.new').length;
        if (news !== CHANGED_CHATS || page?.hasMore) throw new Error(`sync-events-${count}: ${news} message.new events, hasMore ${page?.hasMore}`);
      },
    };
  };

// ------------------------------------------------------------------ what the change log adds to a write

type ChangeKind = 'edit' | 'edit-older' | 'delete' | 'delete-older' | 'reaction' | 'marker' | 'archive' | 'add-participant' | 'send';
export const CHANGE_KINDS: readonly ChangeKind[] = ['edit', 'edit-older', 'delete', 'delete-older', 'reaction', 'marker', 'archive', 'add-participant', 'send'];
/** Changes that write the chat item anyway (the preview of its last message), so the head rides on that write (`domain/change-log.ts`). */
export const RIDING_KINDS: readonly ChangeKind[] = ['edit', 'delete'];
/** Kinds that change the chat's older message, not its last one. */
const OLDER: readonly ChangeKind[] = ['edit-older', 'delete-older'];
export const changeId = (kind: ChangeKind) => `sync-cost-${kind}`;

/**
 * One quiet chat per kind and run: a group of two (`sc-a` owner, `sc-b`)
 * with one message by `sc-a` (the chat's last one), or, for the `-older`
 * kinds, followed by one by `sc-b` (so `sc-a`'s is not the last).
 */
interface QuietChat {
  chatId: string;
  messageId: string;
}
const quietChats = new Map<ChangeKind, QuietChat[]>();
const ADDED = (i: number) => `sc-add-${i}`;

async function prepareQuietChats(h: Harness): Promise<void> {
  if (quietChats.size > 0) return;
  const now = new Date().toISOString();
  await Promise.all(['sc-a', 'sc-b', ...Array.from({ length: RUNS }, (_, i) => ADDED(i))].map((u) => h.ctx.repo.users.touch(h.principal(u), now)));
  for (const kind of CHANGE_KINDS) {
    const chats: QuietChat[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { chat } = await createChat(h.ctx, h.principal('sc-a'), { type: 'group', title: `Sync cost ${kind}`, participantIds: ['sc-b'] });
      const { message } = await sendMessage(h.ctx, h.principal('sc-a'), chat.id, { content: text });
      if (OLDER.includes(kind)) await sendMessage(h.ctx, h.principal('sc-b'), chat.id, { content: text });
      chats.push({ chatId: chat.id, messageId: message.id });
    }
    quietChats.set(kind, chats);
  }
  await h.runWorker(h.fake.takeJobs());
  // Quiet for more than half the head slack: a change now also moves the head, where the design has one.
  await sleep(HEAD_SLACK_MS / 2 + 1_000);
}

const CHANGE_LABELS: Record<ChangeKind, [string, string]> = {
  edit: ["Edit the chat's last message (`PATCH …/messages/{id}`)", 'PATCH /v1/chats/{chatId}/messages/{messageId}'],
  'edit-older': ["Edit an older message, not the chat's last (`PATCH …/messages/{id}`)", 'PATCH /v1/chats/{chatId}/messages/{messageId}'],
  delete: ["Delete the chat's last message (`DELETE …/messages/{id}`)", 'DELETE /v1/chats/{chatId}/messages/{messageId}'],
  'delete-older': ["Delete an older message, not the chat's last (`DELETE …/messages/{id}`)", 'DELETE /v1/chats/{chatId}/messages/{messageId}'],
  reaction: ['React to a message (`PUT …/reactions/like`)', 'PUT /v1/chats/{chatId}/messages/{messageId}/reactions/{reaction}'],
  marker: ['Move the read marker (`POST …/read`)', 'POST /v1/chats/{chatId}/read'],
  archive: ['Archive the chat (`PUT …/archive`, a membership change of the caller\'s own)', 'PUT /v1/chats/{chatId}/archive'],
  'add-participant': ['Add a participant (`POST …/participants`, one user)', 'POST /v1/chats/{chatId}/participants'],
  send: ['Send a 200-character message (`POST …/messages`)', 'POST /v1/chats/{chatId}/messages'],
};

const changeCost =
  (kind: ChangeKind): Scenario =>
  (h) => ({
    id: changeId(kind),
    area: 'Sync',
    label: `${CHANGE_LABELS[kind][0]} in a group of 2 quiet for > ${HEAD_SLACK_MS / 2000} s (members offline): the change log's writes`,
    route: CHANGE_LABELS[kind][1],
    delivers: true,
    runs: RUNS,
    prepare: () => prepareQuietChats(h),
    invoke: async (i) => {
      const { chatId, messageId } = quietChats.get(kind)![i]!;
      const params = { chatId, messageId };
      if (kind === 'edit' || kind === 'edit-older') await h.http('EditMessage', 'sc-a', { params, body: { content: `${text}!` } }, [200]);
      else if (kind === 'delete' || kind === 'delete-older') await h.http('DeleteMessage', 'sc-a', { params }, [200]);
      else if (kind === 'reaction') await h.http('AddReaction', 'sc-b', { params: { ...params, reaction: 'like' } }, [200]);
      else if (kind === 'marker') await h.http('MarkRead', 'sc-b', { params: { chatId } }, [200]);
      else if (kind === 'archive') await h.http('ArchiveChat', 'sc-b', { params: { chatId }, body: { archived: true } }, [200]);
      else if (kind === 'add-participant') await h.http('AddParticipants', 'sc-a', { params: { chatId }, body: { userIds: [ADDED(i)] } }, [200]);
      else await h.http('SendMessage', 'sc-a', { params: { chatId }, body: { content: text } }, [201]);
    },
  });

export const syncAreas = [
  {
    title: 'Sync (SPEC §7)',
    scenarios: [
      ...LIST_USERS.map(([user, count]) => emptySync(user, count)),
      ...LIST_USERS.map(([user, count]) => syncWithEvents(user, count)),
      ...CHANGE_KINDS.map(changeCost),
    ],
  },
];

// ------------------------------------------------------------------ budgets

/**
 * A change-log write as the recorder describes it (`recorder.ts`): the
 * chat's log, a user's log, a head write of its own (`SET changedAt`). A
 * head riding on the change's own chat-item write (`+changedAt`) is not one.
 */
export function isChangeLogWrite(what: string): boolean {
  return what.includes('CHANGES#') || what.includes('/CHAT!') || what.includes('SET changedAt');
}

/** WCU of the change-log writes of one run (handler and fan-out worker). */
export function changeLogWcu(figures: readonly (RunFigures | undefined)[]): { wcu: number; writes: string[] } {
  let wcu = 0;
  const writes: string[] = [];
  for (const f of figures) {
    for (const d of f?.detail ?? []) {
      if (!/Put|Update|Write/.test(d.command) || !isChangeLogWrite(d.what)) continue;
      wcu += d.wcu;
      writes.push(`${d.command} ${d.what.replace(/CHAT![0-9A-Z]+/g, 'CHAT!…').replace(/\/[0-9A-Z]{26}/g, '/…')} ${fmt(d.wcu)} WCU`);
    }
  }
  return { wcu: Math.round(wcu * 100) / 100, writes };
}

function row(target: string, ids: readonly string[], measure: (c: BudgetContext, ops: OperationResult[]) => { pass: boolean; measured: string }): Budget {
  return (c) => {
    const ops = ids.map((id) => c.op(id));
    if (ops.some((o) => !o)) return [{ target, pass: false, measured: `not measured: ${ids.filter((_, k) => !ops[k]).join(', ')} did not run` }];
    return [{ target, ...measure(c, ops as OperationResult[]) }];
  };
}

/** One change's change-log cost, and where its head went: riding on the change's own write, a write of its own, or none. */
function describeCost(r: { op: OperationResult; wcu: number; writes: string[] }): string {
  const rode = [r.op.steady, r.op.worker].some((f) => f?.detail.some((d) => d.what.includes('+changedAt')));
  const own = r.writes.some((w) => w.includes('SET changedAt'));
  const head = own ? 'head written on its own' : rode ? 'head rides on the change\'s chat-item write' : 'no head write';
  return `${r.op.id.slice('sync-cost-'.length)}: ${fmt(r.wcu)} WCU (${r.writes.join(' + ') || 'none'}; ${head})`;
}

const commands = (op: OperationResult) => Object.entries(op.steady.byCommand).map(([k, n]) => `${k} ${n}`).join(', ');

/** Every budget of this file, in report order (listed in `budgets.ts`). */
export const syncBudgets: Budget = (c): Target[] =>
  [
    row(
      'Empty sync (nothing changed since the cursor) ≤ 1 + ⌈C/100⌉ DynamoDB requests for a user in C = 10, 100 and 1,000 chats (design: one Query of the memberships and own log, one BatchGetItem of chat heads per 100 chats)',
      LIST_USERS.map(([, n]) => `sync-empty-${n}`),
      (_, ops) => ({
        pass: ops.every((op, k) => op.steady.requests <= 1 + Math.ceil(LIST_USERS[k]![1] / 100)),
        measured: ops.map((op, k) => `${LIST_USERS[k]![1]} chats: ${op.steady.requests} requests (${commands(op)}), ${fmt(op.steady.rcu)} RCU (limit ${1 + Math.ceil(LIST_USERS[k]![1] / 100)})`).join('; '),
      }),
    ),
    row(
      `Sync with events in R = ${CHANGED_CHATS} chats ≤ 1 + ⌈C/100⌉ + R DynamoDB requests for a user in C = 10, 100 and 1,000 chats (design: one Query of each changed chat's log)`,
      LIST_USERS.map(([, n]) => `sync-events-${n}`),
      (_, ops) => ({
        pass: ops.every((op, k) => op.steady.requests <= 1 + Math.ceil(LIST_USERS[k]![1] / 100) + CHANGED_CHATS),
        measured: ops
          .map((op, k) => `${LIST_USERS[k]![1]} chats: ${op.steady.requests} requests (${commands(op)}), ${fmt(op.steady.rcu)} RCU (limit ${1 + Math.ceil(LIST_USERS[k]![1] / 100) + CHANGED_CHATS})`)
          .join('; '),
      }),
    ),
    row(
      "Change log: a change that writes the chat item anyway (an edit or delete of the chat's last message, which replaces its preview) costs ≤ 1 extra WCU in a chat quiet for > HEAD_SLACK_MS / 2 (issue 15; design: the head rides on that UpdateItem, `+changedAt`, so the log entry is the only extra write)",
      RIDING_KINDS.map(changeId),
      (_, ops) => {
        const rows = ops.map((op) => ({ op, ...changeLogWcu([op.steady, op.worker]) }));
        return { pass: rows.every((r) => r.wcu <= 1), measured: rows.map(describeCost).join('; ') };
      },
    ),
    row(
      'Change log: an edit, delete, reaction, read-marker move or membership change (archive, participant add) in a chat quiet for > HEAD_SLACK_MS / 2 costs ≤ 1 extra WCU (issue 15; the writes to `CHANGES#…`, `USER#…/CHAT!…` and a head write of its own, `SET changedAt`). ' +
        'Not met where the change writes no chat item (a reaction, a marker move, an edit or delete of an older message): 2 WCU, the floor of this read side. An empty sync finds changed chats with ⌈C/100⌉ BatchGetItem of fixed keys, so a change in a quiet chat must update a fixed-key item of its chat, and its entry must be kept for the sync window on its own: two writes unless the head rides on a write the change makes anyway. ' +
        'Meeting it would take an empty sync of one Query per chat (1 + C requests instead of 1 + ⌈C/100⌉), or entries written into the per-chat item itself (which then grows with every change in the window, up to the 400 KB item limit)',
      CHANGE_KINDS.filter((k) => k !== 'send').map(changeId),
      (_, ops) => {
        const rows = ops.map((op) => ({ op, ...changeLogWcu([op.steady, op.worker]) }));
        return { pass: rows.every((r) => r.wcu <= 1), measured: rows.map(describeCost).join('; ') };
      },
    ),
    row(
      "Change log: a send's extra write ≤ 1 WCU (its `message.new` in the chat's log, ≤ 1 KB; the head rides on the chat item's `updatedAt`, which the send moves anyway)",
      [changeId('send')],
      (_, [op]) => {
        const r = changeLogWcu([op!.steady, op!.worker]);
        return { pass: r.wcu <= 1, measured: `${fmt(r.wcu)} WCU (${r.writes.join(' + ') || 'none'})` };
      },
    ),
  ].flatMap((b) => b(c));
