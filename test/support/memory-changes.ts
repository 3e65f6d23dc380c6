/**
 * The in-memory `ChangeStore` (sync change log, SPEC §7) of `MemoryRepository`,
 * with DynamoDB's semantics: entries in id order, heads only forward and
 * only on existing chats, the head as the later of `changedAt` and
 * `updatedAt`. The port contract suite runs it against DynamoDB Local.
 */
import type { ChangeEntry, ChangeStore } from '../../functions/domain/ports';
import type { ChatRecord, MembershipRecord } from '../../functions/domain/types';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const clone = <T>(v: T): T => structuredClone(v);

export interface ChangeMaps {
  readonly chatMap: Map<string, ChatRecord>;
  readonly memberMap: Map<string, MembershipRecord>;
}

export function memoryChangeStore(repo: ChangeMaps): ChangeStore & { readonly chatLogs: Map<string, ChangeEntry[]>; readonly userLogs: Map<string, ChangeEntry[]> } {
  const chatLogs = new Map<string, ChangeEntry[]>();
  const userLogs = new Map<string, ChangeEntry[]>();
  const append = (logs: Map<string, ChangeEntry[]>, key: string, entry: ChangeEntry) => {
    const log = logs.get(key) ?? [];
    if (!log.some((e) => e.id === entry.id)) log.push(clone(entry));
    log.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    logs.set(key, log);
  };
  return {
    chatLogs,
    userLogs,
    async appendToChat(chatId, entry) {
      await tick();
      append(chatLogs, chatId, entry);
    },
    async appendToUsers(userIds, entry) {
      await tick();
      for (const u of new Set(userIds)) append(userLogs, u, entry);
    },
    async touchChat(chatId, at) {
      await tick();
      const chat = repo.chatMap.get(chatId);
      if (chat && !(chat.changedAt && chat.changedAt >= at)) chat.changedAt = at;
    },
    async userState(userId, after) {
      await tick();
      const memberships = [...repo.memberMap.values()].filter((m) => m.userId === userId).map(clone);
      const entries = (userLogs.get(userId) ?? []).filter((e) => e.id > after).map(clone);
      return { memberships, entries };
    },
    async heads(chatIds) {
      await tick();
      const heads = new Map<string, string>();
      for (const id of chatIds) {
        const chat = repo.chatMap.get(id);
        if (!chat) continue;
        const head = [chat.changedAt ?? '', chat.updatedAt ?? ''].sort().at(-1)!;
        if (head) heads.set(id, head);
      }
      return heads;
    },
    async chatEntries(chatId, range) {
      await tick();
      const inRange = (chatLogs.get(chatId) ?? []).filter((e) => e.id > range.after && (range.upTo === undefined || e.id <= range.upTo));
      return { entries: inRange.slice(0, range.limit).map(clone), more: inRange.length > range.limit };
    },
  };
}
