/**
 * The traffic plan: which users, which chats with which members, and which
 * member sends each message into which chat, drawn from a seeded PRNG so
 * both targets (and reruns with the same `--seed`) get the same traffic.
 */
import { randomBytes } from 'node:crypto';
import type { Options } from './options';

export interface PlanChat {
  type: 'group' | 'direct';
  /** Indices into `Plan.users`; the first one creates the chat. */
  members: number[];
}

export interface PlanMessage {
  chat: number;
  sender: number;
}

export interface Plan {
  runId: string;
  users: string[];
  chats: PlanChat[];
  /** Chat indices of each user. */
  chatsOf: number[][];
  /** The paced phase. */
  messages: PlanMessage[];
  /** The capacity phase. */
  capacityMessages: PlanMessage[];
}

/** One measured phase: which messages, how fast (0 = closed loop), and a tag that keeps its clientMessageIds apart. */
export interface Phase {
  name: 'paced' | 'capacity';
  tag: string;
  messages: PlanMessage[];
  rate: number;
}

/** mulberry32: a small seeded PRNG, so both runs (and reruns) get the same traffic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makePlan(o: Options): Plan {
  const random = prng(o.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const runId = randomBytes(4).toString('hex');
  const users = Array.from({ length: o.users }, (_, i) => `load-${runId}-u${i}`);
  const chats: PlanChat[] = [];
  for (let g = 0; g < o.groups; g++) {
    // Partial Fisher-Yates: `group-size` distinct members.
    const pool = users.map((_, i) => i);
    for (let i = 0; i < o['group-size']; i++) {
      const j = i + pick(pool.length - i);
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    chats.push({ type: 'group', members: pool.slice(0, o['group-size']) });
  }
  const pairs = new Set<string>();
  while (pairs.size < o.direct) {
    const a = pick(o.users);
    const b = pick(o.users);
    if (a === b) continue;
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    if (pairs.has(key)) continue;
    pairs.add(key);
    chats.push({ type: 'direct', members: [a, b] });
  }
  const chatsOf: number[][] = users.map(() => []);
  chats.forEach((chat, c) => chat.members.forEach((u) => chatsOf[u].push(c)));
  const message = (): PlanMessage => {
    const chat = pick(chats.length);
    const members = chats[chat].members;
    return { chat, sender: members[pick(members.length)] };
  };
  const messages = Array.from({ length: o.messages }, message);
  const capacityMessages = Array.from({ length: o.rate > 0 ? o.capacity : 0 }, message);
  return { runId, users, chats, chatsOf, messages, capacityMessages };
}
