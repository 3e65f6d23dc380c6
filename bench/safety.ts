/**
 * Bench rows for moderation (SPEC §9: reports, platform and group bans) and
 * data governance (SPEC §10: erasure, export), with their budgets (issue 20:
 * "every new capability measured"). `scenarios.ts` lists the areas,
 * `budgets.ts` the budgets; both come from here.
 *
 * Every scenario works on users and chats of its own, created unmeasured in
 * `prepare`, so the rows do not depend on (or change) what the other areas
 * measure. The per-message and per-chat figures are differences between two
 * sizes of the same scenario, so the fixed costs (the job's own items, the
 * audit event) cancel out.
 */
import { createChat } from '../functions/domain/chats';
import type { DomainContext } from '../functions/domain/context';
import { ERASURE_BATCH, runErasure } from '../functions/domain/erasure';
import { runExport } from '../functions/domain/export';
import { messageId } from '../functions/domain/ids';
import { sendMessage } from '../functions/domain/messages';
import { prose } from '../test/support/prose';
import { fmt, recordOutcome, type Budget, type BudgetContext, type Target } from './budgets';
import { BENCH_ADMIN, type Harness } from './harness';
import type { OperationResult, OperationSpec } from './measure';
import type { Fixtures } from './seed';

type Scenario = (h: Harness, f: Fixtures) => OperationSpec;

const text = prose(200, 7);
const nowIso = () => new Date().toISOString();

// ------------------------------------------------------------------ reports (SPEC §9)

/** The reporter's direct chat with the author, created on first use. */
const reporting: { chatId?: string; messageIds: string[] } = { messageIds: [] };
const REPORTER = 'rep-r';
const AUTHOR = 'rep-a';
/** Open reports in the queue when the admin reads its first page. */
const QUEUE_REPORTS = 25;
const QUEUE_PAGE = 20;

async function reportingChat(h: Harness): Promise<string> {
  if (!reporting.chatId) {
    await Promise.all([h.ctx.repo.users.touch(h.principal(REPORTER), nowIso()), h.ctx.repo.users.touch(h.principal(AUTHOR), nowIso())]);
    reporting.chatId = (await createChat(h.ctx, h.principal(AUTHOR), { type: 'direct', participantIds: [REPORTER] })).chat.id;
  }
  return reporting.chatId;
}

const reportCreate: Scenario = (h) => ({
  id: 'report-create',
  area: 'Moderation',
  label: 'Report a message (`POST …/reports`, a 200-character message of a direct chat)',
  route: 'POST /v1/chats/{chatId}/messages/{messageId}/reports',
  delivers: false,
  prepare: async (i) => {
    const chatId = await reportingChat(h);
    const { message } = await sendMessage(h.ctx, h.principal(AUTHOR), chatId, { content: text });
    reporting.messageIds[i] = message.id;
    await h.runWorker(h.fake.takeJobs());
  },
  invoke: async (i) =>
    void (await h.http('ReportMessage', REPORTER, { params: { chatId: reporting.chatId!, messageId: reporting.messageIds[i]! }, body: { reason: 'spam' } }, [201])),
});

const reportsQueue: Scenario = (h) => {
  let seeded = false;
  return {
    id: 'reports-queue',
    area: 'Moderation',
    label: `Admin report queue, first page (\`GET /v1/moderation/reports?limit=${QUEUE_PAGE}\`, ≥ ${QUEUE_REPORTS} open reports)`,
    route: 'GET /v1/moderation/reports',
    delivers: false,
    prepare: async () => {
      if (seeded) return;
      seeded = true;
      const chatId = await reportingChat(h);
      for (let k = 0; k < QUEUE_REPORTS; k++) {
        const reporter = `rep-q${k}`;
        await h.ctx.repo.users.touch(h.principal(reporter), nowIso());
        const { message } = await sendMessage(h.ctx, h.principal(AUTHOR), chatId, { content: text });
        await h.ctx.repo.reports.create({
          id: h.ctx.newId(),
          chatId,
          messageId: message.id,
          reporterId: reporter,
          authorId: AUTHOR,
          reason: 'spam',
          status: 'open',
          createdAt: nowIso(),
          message: { ...message } as unknown as Record<string, unknown>,
        } as Parameters<DomainContext['repo']['reports']['create']>[0]);
      }
      await h.runWorker(h.fake.takeJobs());
    },
    invoke: async () => {
      const page = await h.http('ListReports', BENCH_ADMIN, { query: { limit: String(QUEUE_PAGE) } }, [200]);
      if (page?.reports.length !== QUEUE_PAGE) throw new Error(`reports-queue: ${page?.reports.length} reports on the page`);
    },
  };
};

// ------------------------------------------------------------------ bans (SPEC §9)

const banCheck: Scenario = (h) => ({
  id: 'ban-check-me',
  area: 'Moderation',
  label: '`GET /v1/me` by a caller who is not banned: the platform ban check, cached for `BAN_CHECK_SECONDS` per container (first call: cold container)',
  route: 'GET /v1/me',
  delivers: false,
  invoke: async () => void (await h.http('GetMe', 'ban-chk', {}, [200])),
});

/** Members of each fresh group the chat-ban scenario bans one of. */
const BAN_GROUP = 10;

const chatBan: Scenario = (h) => {
  const chats: string[] = [];
  return {
    id: 'chat-ban',
    area: 'Moderation',
    label: `Group ban (\`POST /v1/chats/{chatId}/bans\`): the owner bans a member of a group of ${BAN_GROUP}, who is removed (members offline)`,
    route: 'POST /v1/chats/{chatId}/bans',
    delivers: true,
    prepare: async (i) => {
      const owner = `cban-o${i}`;
      const members = Array.from({ length: BAN_GROUP - 1 }, (_, k) => `cban-${i}-${k}`);
      await Promise.all([owner, ...members].map((id) => h.ctx.repo.users.touch(h.principal(id), nowIso())));
      chats[i] = (await createChat(h.ctx, h.principal(owner), { type: 'group', title: 'Ban bench', participantIds: members })).chat.id;
      await h.runWorker(h.fake.takeJobs());
    },
    invoke: async (i) => void (await h.http('BanFromChat', `cban-o${i}`, { params: { chatId: chats[i]! }, body: { userId: `cban-${i}-0`, reason: 'bench' } }, [201])),
  };
};

// ------------------------------------------------------------------ erasure and export (SPEC §10)

/**
 * A fresh user for run `i`: `chats` direct chats, each with `perChat` messages by the user and as many by the other
 * participant, every one of those carrying the user's `like` (so each erased message comes with one removed reaction).
 */
async function governedUser(h: Harness, prefix: string, i: number, chats: number, perChat: number): Promise<string> {
  const userId = `${prefix}${i}`;
  const me = h.principal(userId);
  await h.ctx.repo.users.touch(me, nowIso());
  for (let c = 0; c < chats; c++) {
    const other = h.principal(`${prefix}o${i}-${c}`);
    await h.ctx.repo.users.touch(other, nowIso());
    const { chat } = await createChat(h.ctx, me, { type: 'direct', participantIds: [other.userId] });
    for (let seq = 1; seq <= perChat * 2; seq++) {
      const mine = seq % 2 === 1;
      await h.ctx.repo.messages.putAtomically({
        id: messageId(h.ctx.newId(), seq),
        chatId: chat.id,
        seq,
        senderId: mine ? userId : other.userId,
        type: 'text',
        content: text,
        reactions: mine ? {} : { like: [userId] },
        createdAt: nowIso(),
      });
    }
  }
  return userId;
}

interface GovernedSize {
  id: string;
  chats: number;
  perChat: number;
}

/** The erasure sizes: per message from the first two (one chat), per chat from the first and the third (same messages). */
export const ERASURE_SIZES: readonly GovernedSize[] = [
  { id: 'erase-50', chats: 1, perChat: 50 },
  { id: 'erase-100', chats: 1, perChat: 100 },
  { id: 'erase-50-in-5-chats', chats: 5, perChat: 10 },
];

const erasure = ({ id, chats, perChat }: GovernedSize): Scenario => (h) => {
  const ids: string[] = [];
  return {
    id,
    area: 'Data governance',
    label: `Erasure worker: user with ${chats * perChat} messages and as many reactions, in ${chats === 1 ? 'one direct chat' : `${chats} direct chats`} of ${perChat * 2} messages`,
    route: 'SQS Governance',
    delivers: true,
    prepare: async (i) => {
      const userId = await governedUser(h, `${id}-u`, i, chats, perChat);
      ids[i] = h.ctx.newId();
      await h.ctx.repo.erasures.create({ id: ids[i]!, userId, status: 'pending', requestedBy: 'bench', requestedAt: nowIso(), messagesErased: 0, chatsLeft: 0, reactionsRemoved: 0, checkpoint: { step: 'profile' } });
    },
    invoke: async (i) => {
      if ((await runErasure(h.ctx, ids[i]!)) !== 'done') throw new Error('erasure paused');
      const record = await h.ctx.repo.erasures.get(ids[i]!);
      recordOutcome(id, { messagesErased: record?.messagesErased, chatsLeft: record?.chatsLeft, reactionsRemoved: record?.reactionsRemoved });
    },
    notes: ['Per erased message 1 UpdateItem and its change-log PutItem (SPEC §7), the same per reaction; per chat ⌈N/100⌉ Query pages + checkpoints + the leave and its events (README "Costs of erasure and export").'],
  };
};

export const EXPORT_SIZES: readonly GovernedSize[] = [
  { id: 'export-50', chats: 1, perChat: 50 },
  { id: 'export-100', chats: 1, perChat: 100 },
];

/**
 * The export worker (`runExport`, as the governance queue runs it). The bench has no S3: the storage port's
 * `putObject` is counted (calls and bytes) instead of sent; everything else is the real worker on DynamoDB Local.
 */
const exporting = ({ id, chats, perChat }: GovernedSize): Scenario => (h) => {
  const ids: string[] = [];
  let puts = 0;
  let bytes = 0;
  const ctx: DomainContext = {
    ...h.ctx,
    storage: {
      ...h.ctx.storage,
      putObject: async (_key: string, body: string | Uint8Array) => {
        puts++;
        bytes += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      },
    } as DomainContext['storage'],
  };
  return {
    id,
    area: 'Data governance',
    label: `Export worker: the document of a user with ${chats * perChat} messages in one direct chat of ${perChat * 2} (S3 PutObject counted at the storage port)`,
    route: 'SQS Governance',
    delivers: false,
    prepare: async (i) => {
      const userId = await governedUser(h, `${id}-u`, i, chats, perChat);
      ids[i] = h.ctx.newId();
      await h.ctx.repo.exports.create({ id: ids[i]!, userId, requestedBy: userId, status: 'pending', createdAt: nowIso() });
      puts = 0;
      bytes = 0;
    },
    invoke: async (i) => {
      await runExport(ctx, ids[i]!);
      const record = await h.ctx.repo.exports.get(ids[i]!);
      if (record?.status !== 'done') throw new Error(`${id}: export ${record?.status}`);
      recordOutcome(id, { s3Puts: puts, bytes, messages: chats * perChat });
    },
  };
};

/** The areas `scenarios.ts` runs, in order. */
export const safetyAreas = [
  { title: 'Moderation (SPEC §9: reports and bans)', scenarios: [reportCreate, reportsQueue, banCheck, chatBan] },
  { title: 'Data governance (SPEC §10 workers)', scenarios: [...ERASURE_SIZES.map(erasure), ...EXPORT_SIZES.map(exporting)] },
];

// ------------------------------------------------------------------ budgets

const r2 = (n: number) => Math.round(n * 100) / 100;
const billedWcu = (c: BudgetContext, op: OperationResult) => c.total(op).wcu + c.total(op).failedConditionalWrites;

/** A row comparing one figure of each listed scenario with its limit; FAIL "not measured" when one did not run. */
function row(target: string, ids: readonly string[], measure: (c: BudgetContext, ops: OperationResult[]) => { pass: boolean; measured: string }): Budget {
  return (c) => {
    const ops = ids.map((id) => c.op(id));
    if (ops.some((o) => !o)) return [{ target, pass: false, measured: `not measured: ${ids.filter((_, k) => !ops[k]).join(', ')} did not run` }];
    return [{ target, ...measure(c, ops as OperationResult[]) }];
  };
}

/** Per-unit difference of requests and WCU between two sizes of one scenario. */
function marginal(c: BudgetContext, small: OperationResult, large: OperationResult, units: number) {
  const a = c.total(small);
  const b = c.total(large);
  return { requests: r2((b.requests - a.requests) / units), wcu: r2((billedWcu(c, large) - billedWcu(c, small)) / units), rcu: r2((b.rcu - a.rcu) / units) };
}

/** SPEC §9 reports: what one report and one page of the admin queue cost. */
const reportBudgets: Budget[] = [
  row(
    'Report a message ≤ 5 DynamoDB requests and ≤ 7 WCU (design: rate slot UpdateItem 1 WCU; chat + membership BatchGetItem; the message GetItem; one TransactWriteItems of the report, ≤ 2 KB with its snapshot, and its uniqueness item: ≤ 2 × (2 + 1) WCU; 1 PutEvents entry)',
    ['report-create'],
    (c, [op]) => {
      const t = c.total(op!);
      return { pass: t.requests <= 5 && billedWcu(c, op!) <= 7, measured: `${t.requests} requests (${Object.entries(t.byCommand).map(([k, n]) => `${k} ${n}`).join(', ')}), ${fmt(billedWcu(c, op!))} WCU, ${t.putEventsEntries} PutEvents entries` };
    },
  ),
  row(
    `Admin report queue page (limit ${QUEUE_PAGE}) ≤ 2 DynamoDB requests, 0 WCU and ≤ 0.5 RCU per report on the page + 0.5 (design: one GSI1 Query of keys, 0.5 RCU; one BatchGetItem of the page's reports, eventually consistent, each ≤ 4 KB)`,
    ['reports-queue'],
    (c, [op]) => {
      const t = c.total(op!);
      return { pass: t.requests <= 2 && billedWcu(c, op!) === 0 && t.rcu <= 0.5 * QUEUE_PAGE + 0.5, measured: `${t.requests} requests (${Object.entries(t.byCommand).map(([k, n]) => `${k} ${n}`).join(', ')}), ${fmt(t.rcu)} RCU, ${fmt(billedWcu(c, op!))} WCU` };
    },
  ),
];

/** SPEC §9 bans: the platform ban check per request, and a group ban. */
const banBudgets: Budget[] = [
  row(
    'Platform ban check: 0 DynamoDB requests per request within `BAN_CHECK_SECONDS` of the caller\'s last check in the container, ≤ 1 GetItem (0.5 RCU, in parallel with the directory write: no round trip) on the first (design: `lib/ban-check.ts`)',
    ['ban-check-me'],
    (c, [op]) => {
      const first = op!.first;
      const gets = first.byCommand.GetItem ?? 0;
      // The cold call also reads the erased flag (a GetItem of its own, SPEC §10); the ban check is the other one.
      return {
        pass: op!.steady.requests === 0 && gets <= 2 && first.roundTrips.total !== null && first.roundTrips.total <= 1,
        measured: `warm call: ${op!.steady.requests} requests; first call: ${first.requests} requests (${Object.entries(first.byCommand).map(([k, n]) => `${k} ${n}`).join(', ')}: the erased check and the ban check GetItems, the directory write), ${first.roundTrips.total} round trip(s), ${fmt(first.rcu)} RCU`,
      };
    },
  ),
  row(
    `Group ban of a member of a group of ${BAN_GROUP} ≤ 13 DynamoDB requests and ≤ 12 WCU, independent of the group's size but for the presence reads (design: rate slot 1 WCU; chat + caller's membership BatchGetItem; target's membership BatchGetItem ∥ user GetItem; the ban PutItem; participants Query; the leave TransactWriteItems of 3 items, × 2 WCU; the \`participant.removed\` event's change-log PutItems, chat and user log (SPEC §7), and the chat's head UpdateItem; presence BatchGetItem for the event; 1 audit PutEvents entry)`,
    ['chat-ban'],
    (c, [op]) => {
      const t = c.total(op!);
      return { pass: t.requests <= 13 && billedWcu(c, op!) <= 12, measured: `${t.requests} requests (${Object.entries(t.byCommand).map(([k, n]) => `${k} ${n}`).join(', ')}), ${fmt(billedWcu(c, op!))} WCU, ${t.putEventsEntries} PutEvents entries` };
    },
  ),
];

/** SPEC §10 erasure: per message erased and per chat, from the differences between the sizes. */
const erasureBudgets: Budget[] = [
  row(
    `Erasure per message erased (with one reaction of the user's removed) ≤ 4.1 DynamoDB requests and ≤ 4.1 WCU (design: the soft delete UpdateItem and its \`message.deleted\` change-log PutItem (SPEC §7 sync), the same two for the \`reaction.updated\`, each ≤ 1 KB; per ${ERASURE_BATCH} messages read one Query page and one checkpoint PutItem; \`erase-100\` − \`erase-50\`, per extra message)`,
    ['erase-50', 'erase-100'],
    (c, [small, large]) => {
      const m = marginal(c, small!, large!, 50);
      return { pass: m.requests <= 4.1 && m.wcu <= 4.1, measured: `${fmt(m.requests)} requests, ${fmt(m.wcu)} WCU, ${fmt(m.rcu)} RCU per message (erase-50: ${c.total(small!).requests} requests, erase-100: ${c.total(large!).requests})` };
    },
  ),
  row(
    'Erasure per chat ≤ 15 DynamoDB requests and ≤ 15 WCU (design: the message Query page and its checkpoint PutItem, the chat read, the participants Query and presence BatchGetItems for its events, the leave TransactWriteItems of 3 items, × 2 WCU, the `participant.removed` change-log PutItems (chat and user log, SPEC §7), the chat preview UpdateItem when the last message was the user\'s; `erase-50-in-5-chats` − `erase-50`, same messages, per extra chat)',
    ['erase-50', 'erase-50-in-5-chats'],
    (c, [one, five]) => {
      const m = marginal(c, one!, five!, 4);
      return { pass: m.requests <= 15 && m.wcu <= 15, measured: `${fmt(m.requests)} requests, ${fmt(m.wcu)} WCU per chat (1 chat: ${c.total(one!).requests} requests, ${fmt(billedWcu(c, one!))} WCU; 5 chats: ${c.total(five!).requests} requests, ${fmt(billedWcu(c, five!))} WCU)` };
    },
  ),
];

/** SPEC §10 export: per message exported, and one S3 object per export. */
const exportBudgets: Budget[] = [
  row(
    'Export per message exported ≤ 0.05 DynamoDB requests and 0 WCU (design: the chat read in Query pages of 100, here 2 messages read per message of the user\'s; `export-100` − `export-50`, per extra message), and exactly 1 S3 PutObject and 2 status PutItems per export',
    ['export-50', 'export-100'],
    (c, [small, large]) => {
      const m = marginal(c, small!, large!, 50);
      const outcomes = [c.outcome('export-50'), c.outcome('export-100')];
      const puts = outcomes.map((o) => Number(o?.s3Puts ?? NaN));
      const putItems = [small!, large!].map((op) => c.total(op).byCommand.PutItem ?? 0);
      return {
        pass: m.requests <= 0.05 && m.wcu === 0 && puts.every((p) => p === 1) && putItems.every((p) => p === 2),
        measured: `${fmt(m.requests)} requests, ${fmt(m.wcu)} WCU, ${fmt(m.rcu)} RCU per message; S3 PutObject per export: ${puts.join(', ')}; status PutItems: ${putItems.join(', ')} (export-50: ${c.total(small!).requests} requests, ${fmt(Number(outcomes[0]?.bytes ?? 0) / 1024)} KB document)`,
      };
    },
  ),
];

/** Every budget of this file, in report order (listed in `budgets.ts`). */
export const safetyBudgets: Budget = (c): Target[] => [...reportBudgets, ...banBudgets, ...erasureBudgets, ...exportBudgets].flatMap((b) => b(c));
