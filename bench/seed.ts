/**
 * The bench's data, written before anything is measured: a pool of 1,000
 * users (every 10th online with one connection opened through the real
 * `$connect`), direct chats, groups of 100 and 1,000, users with 10, 100 and
 * 1,000 chats, and history: 60 messages in the chats of 2 and 100, 1,000 in
 * the search chat.
 */
import { ulid } from 'ulid';
import { createChat } from '../functions/domain/chats';
import { messageId } from '../functions/domain/ids';
import type { MessageRecord } from '../functions/domain/types';
import { previewOf } from '../functions/domain/views';
import { prose } from '../test/support/prose';
import { newConnectionId } from './events';
import { pool, type Harness } from './harness';

export const RUNS = 4;
export const POOL_SIZE = 1000;
export const MESSAGE_BYTES = 1000;
/** Every 10th pool user is online (one open connection). */
const isOnline = (i: number) => i % 10 === 0;

export const poolId = (i: number) => `p${String(i).padStart(4, '0')}`;
/** Users with many (direct) chats, and how many. */
export const LIST_USERS: readonly (readonly [string, number])[] = [
  ['l10', 10],
  ['l100', 100],
  ['l1000', 1000],
];

/** What the scenarios read: who is who, their connections, and the chats by role. */
export interface Fixtures {
  poolIds: string[];
  /** Connection id of each online user. */
  connections: Map<string, string>;
  /** Direct chat `s-on` → `r-on` (recipient online). */
  d2on: string;
  /** Direct chat `s-off` → `r-off` (recipient offline). */
  d2off: string;
  /** Group of 100 owned by `g100-s`: the first 99 pool users. */
  g100: string;
  /** Group of 1,000 owned by `g1000-s`: the first 999 pool users. */
  g1000: string;
  /** Direct chat `srch-a` → `srch-b` with 1,000 messages ("needle" in every 100th). */
  search: string;
}

export async function seed(h: Harness, log: (line: string) => void): Promise<Fixtures> {
  const started = performance.now();
  const { ctx } = h;
  log('Seeding');
  const now = new Date().toISOString();
  const named = [
    's-on', 'r-on', 's-off', 'r-off', 'g100-s', 'g1000-s', 'srch-a', 'srch-b', 'l10', 'l100', 'l1000', 'cc', 'cd', 'cg',
    ...Array.from({ length: RUNS }, (_, i) => `cdp${i}`),
  ];
  const poolIds = Array.from({ length: POOL_SIZE }, (_, i) => poolId(i));
  await pool([...poolIds, ...named], 32, (id) => ctx.repo.users.put({ id, name: `User ${id}`, roles: ['user'], createdAt: now, updatedAt: now }));

  // Online users: one connection each, opened through the real $connect handler.
  const connections = new Map<string, string>();
  const online = [...poolIds.filter((_, i) => isOnline(i)), 'r-on', ...Array.from({ length: RUNS }, (_, i) => `cdp${i}`)];
  await pool(online, 8, async (userId) => {
    const id = newConnectionId();
    await h.wsConnect(userId, id);
    connections.set(userId, id);
  });
  log(`  ${poolIds.length + named.length} users, ${online.length} online`);

  const create = async (owner: string, type: 'direct' | 'group', others: string[]) =>
    (await createChat(ctx, h.principal(owner), { type, participantIds: others, ...(type === 'group' ? { title: `Bench ${type}` } : {}) })).chat.id;
  const d2on = await create('s-on', 'direct', ['r-on']);
  const d2off = await create('s-off', 'direct', ['r-off']);
  const g100 = await create('g100-s', 'group', poolIds.slice(0, 99));
  const g1000 = await create('g1000-s', 'group', poolIds.slice(0, 999));
  const search = await create('srch-a', 'direct', ['srch-b']);
  await pool(poolIds.slice(0, 10), 10, (p) => create('cc', 'direct', [p]));
  for (const [user, count] of LIST_USERS) {
    await pool(poolIds.slice(0, count), 16, (p) => create(user, 'direct', [p]));
  }
  log(`  chats: 2 direct, groups of 100 and 1,000, users with 10, 100 and 1,000 chats`);

  /** Writes `count` messages straight through the repository (parallel, explicit seqs), then moves the chat item. */
  async function seedMessages(chatId: string, senders: string[], count: number, content: (seq: number) => string) {
    const [chat] = await ctx.repo.chats.getMany([chatId]);
    const base = Date.now() - count * 1000;
    const records: MessageRecord[] = Array.from({ length: count }, (_, i) => {
      const seq = chat.lastSeq + 1 + i;
      return {
        id: messageId(ulid(), seq),
        chatId,
        seq,
        senderId: senders[seq % senders.length],
        type: 'text',
        content: content(seq),
        reactions: {},
        createdAt: new Date(base + i * 1000).toISOString(),
      };
    });
    await pool(records, 32, async (m) => {
      if ((await ctx.repo.messages.putAtomically(m)) !== 'stored') throw new Error(`seq ${m.seq} of ${chatId} taken`);
    });
    await ctx.repo.chats.recordMessage(chatId, previewOf(records[records.length - 1]));
  }
  await seedMessages(d2on, ['s-on', 'r-on'], 60, (seq) => prose(MESSAGE_BYTES, seq));
  await seedMessages(g100, ['g100-s', ...poolIds.slice(0, 9)], 60, (seq) => prose(MESSAGE_BYTES, seq));
  // 1,000 messages of ~1 KB; "needle" in every 100th (a rare term), "the" in all (a frequent one).
  await seedMessages(search, ['srch-a', 'srch-b'], 1000, (seq) => prose(MESSAGE_BYTES, seq, seq % 100 === 0 ? 'needle' : ''));
  log(`  messages: 60 in the 2- and 100-person chats, 1,000 in the search chat (${((performance.now() - started) / 1000).toFixed(1)} s)`);

  // Deliveries queued while seeding: run them (unmeasured), as the worker would have.
  await h.runWorker(h.fake.takeJobs());
  return { poolIds, connections, d2on, d2off, g100, g1000, search };
}
