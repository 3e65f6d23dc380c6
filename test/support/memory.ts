/**
 * In-memory implementations of the domain ports, with the same conditional
 * semantics as the DynamoDB ones (seq taken once, read markers forward only,
 * uniqueness keys), for unit tests of the domain rules without the SDK. The
 * port contract suite (`port-contract.ts`) runs every method against this
 * fake and DynamoDB Local alike. Every method yields to the event loop
 * first, so concurrent calls interleave the way concurrent requests do.
 */
import { monotonicFactory } from 'ulid';
import { uniqueKey } from '../../functions/data/keys';
import { MemoryChatBans, MemoryModeration, MemoryReports } from './memory-moderation';
import { withChangeLog } from '../../functions/domain/change-log';
import { memoryChangeStore } from './memory-changes';
import type { DomainContext, Limits } from '../../functions/domain/context';
import { DEFAULT_LIMITS } from '../../functions/domain/context';
import { hidingGroups } from '../../functions/domain/hidden';
import { createCursorCodec } from '../../functions/domain/cursors';
import { messageId } from '../../functions/domain/ids';
import { notifyOffline } from '../../functions/domain/notifications';
import { sampleFile } from './sample-files';
import type { AttachmentStorage, AuditEntry, AuditLog, BusEvent, ErasureRecord, ExportRecord, GovernanceJob, JobQueue, ChatAudience, ClientIdPointer, EventPublisher, HiddenFrom, Notifier, OfflineNotice, OfflineNotification, OfflinePublisher, Repository, ServerEvent } from '../../functions/domain/ports';

/** The cursor secret of test contexts (any 32+ characters). */
export const TEST_CURSOR_SECRET = 'test-cursor-secret-0123456789abcdef';
import type {
  AttachmentRecord,
  ChatRecord,
  ConnectionRecord,
  DeviceRecord,
  MembershipRecord,
  MessageRecord,
  PresenceRecord,
  UserRecord,
} from '../../functions/domain/types';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const clone = <T>(v: T): T => structuredClone(v);

export class MemoryRepository implements Repository {
  readonly userMap = new Map<string, UserRecord>();
  readonly chatMap = new Map<string, ChatRecord>();
  readonly uniqueMap = new Map<string, string>(); // uniqueness item's PK → chatId
  readonly memberMap = new Map<string, MembershipRecord>(); // `${chatId}|${userId}`
  readonly messageMap = new Map<string, MessageRecord>(); // `${chatId}|${seq}`
  readonly connectionMap = new Map<string, ConnectionRecord>();
  readonly presenceMap = new Map<string, PresenceRecord>();
  readonly clientIdMap = new Map<string, ClientIdPointer>(); // `${chatId}|${senderId}|${clientMessageId}` → claim or seq
  readonly rateMap = new Map<string, number>();
  readonly throttleMap = new Map<string, number>(); // `${userId}|throttle|${key}` → epoch ms of the last action let through
  readonly attachmentMap = new Map<string, AttachmentRecord>(); // `${chatId}|${id}`

  readonly moderation = new MemoryModeration();
  readonly chatBans = new MemoryChatBans();
  readonly reports = new MemoryReports();

  /** `now` is the clock presence pruning reads (DynamoDB's reads the machine's). */
  constructor(private readonly now: () => Date = () => new Date()) {}

  /** The sync change log (`memory-changes.ts`); `chatLogs`/`userLogs` let tests look inside. */
  changes = memoryChangeStore(this);

  attachments: Repository['attachments'] = {
    create: async (a) => {
      await tick();
      const key = `${a.chatId}|${a.id}`;
      if (this.attachmentMap.has(key)) throw conditionFailed('attachment exists');
      this.attachmentMap.set(key, clone(a));
    },
    getMany: async (chatId, ids) => {
      await tick();
      return ids.map((id) => this.attachmentMap.get(`${chatId}|${id}`)).filter((a) => a !== undefined).map(clone);
    },
  };

  rateLimits: Repository['rateLimits'] = {
    take: async (userId, windowSeconds, limit, now, options = {}) => {
      await tick();
      const amount = options.amount ?? 1;
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const start = nowSeconds - (nowSeconds % windowSeconds);
      const key = options.bucket ? `${userId}|${options.bucket}|${start}` : `${userId}|${start}`;
      const count = this.rateMap.get(key) ?? 0;
      const retryAfterSeconds = Math.max(1, start + windowSeconds - nowSeconds);
      if (count + amount > limit) return { allowed: false, retryAfterSeconds };
      this.rateMap.set(key, count + amount);
      return { allowed: true, retryAfterSeconds };
    },
    throttle: async (userId, key, intervalSeconds, now) => {
      await tick();
      const id = `${userId}|throttle|${key}`;
      const last = this.throttleMap.get(id);
      if (last !== undefined && last > now.getTime() - intervalSeconds * 1000) return false;
      this.throttleMap.set(id, now.getTime());
      return true;
    },
  };

  users: Repository['users'] = {
    get: async (id) => (await tick(), clone(this.userMap.get(id))),
    getMany: async (ids) => (await tick(), new Map(ids.filter((id) => this.userMap.has(id)).map((id) => [id, clone(this.userMap.get(id)!)]))),
    put: async (user) => {
      await tick();
      const supportUntil = user.roles.includes('support') ? (user.supportUntil ?? Math.floor(Date.parse(user.updatedAt) / 1000) + DEFAULT_LIMITS.directoryRoleSeconds) : undefined;
      const stored = { ...clone(user), supportUntil, createdAt: this.userMap.get(user.id)?.createdAt ?? user.createdAt };
      this.userMap.set(user.id, stored);
      return clone(stored);
    },
    touch: async (p, now, supportUntil) => {
      await tick();
      const existing = this.userMap.get(p.userId);
      if (existing?.deleted) return undefined;
      const name = p.nameFromToken === false && existing ? existing.name : p.name;
      this.userMap.set(p.userId, {
        id: p.userId,
        name,
        roles: [...p.roles],
        email: p.email,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
        supportUntil: p.roles.includes('support') ? (supportUntil ?? Math.floor(Date.parse(now) / 1000) + DEFAULT_LIMITS.directoryRoleSeconds) : undefined,
      });
      return name;
    },
    erase: async (userId, at) => {
      await tick();
      const existing = this.userMap.get(userId);
      this.userMap.set(userId, { id: userId, name: 'Deleted user', roles: ['user'], createdAt: existing?.createdAt ?? at, updatedAt: at, deleted: true });
    },
    isErased: async (userId) => (await tick(), this.userMap.get(userId)?.deleted === true),
  };

  readonly erasureMap = new Map<string, ErasureRecord>();
  readonly userErasureMap = new Map<string, string>(); // userId → erasureId
  erasures: Repository['erasures'] = {
    create: async (e) => {
      await tick();
      const existing = this.userErasureMap.get(e.userId);
      if (existing) return { created: false, erasure: clone(this.erasureMap.get(existing)!) };
      this.userErasureMap.set(e.userId, e.id);
      this.erasureMap.set(e.id, clone(e));
      return { created: true, erasure: clone(e) };
    },
    get: async (id) => (await tick(), clone(this.erasureMap.get(id))),
    save: async (e) => {
      await tick();
      this.erasureMap.set(e.id, clone(e));
    },
  };

  readonly exportMap = new Map<string, ExportRecord>();
  exports: Repository['exports'] = {
    create: async (e) => {
      await tick();
      if (this.exportMap.has(e.id)) throw conditionFailed('export exists');
      this.exportMap.set(e.id, clone(e));
    },
    get: async (id) => (await tick(), clone(this.exportMap.get(id))),
    save: async (e) => {
      await tick();
      this.exportMap.set(e.id, clone(e));
    },
  };

  readonly formerSet = new Set<string>(); // `${userId}|${chatId}`

  chats: Repository['chats'] = {
    create: async (chat, members, unique) => {
      await tick();
      const key = unique && uniqueKey(unique).PK;
      if (key && this.uniqueMap.has(key)) return { created: false, chatId: this.uniqueMap.get(key)! };
      if (this.chatMap.has(chat.id)) throw conditionFailed('chat exists');
      if (key) this.uniqueMap.set(key, chat.id);
      this.chatMap.set(chat.id, clone(chat));
      for (const m of members) this.memberMap.set(`${m.chatId}|${m.userId}`, clone(m));
      return { created: true };
    },
    findUnique: async (unique) => (await tick(), this.uniqueMap.get(uniqueKey(unique).PK)),
    getMany: async (ids) => (await tick(), ids.filter((id) => this.chatMap.has(id)).map((id) => clone(this.chatMap.get(id)!))),
    getWithMembership: async (chatId, userId) => {
      await tick();
      return { chat: clone(this.chatMap.get(chatId)), membership: clone(this.memberMap.get(`${chatId}|${userId}`)) };
    },
    allocateSeq: async (chatId, next) => {
      await tick();
      const chat = this.chatMap.get(chatId);
      if (!chat) return undefined;
      const { ulid, ...fields } = next;
      const seq = chat.lastSeq + 1;
      Object.assign(chat, { lastSeq: seq, lastMessage: { ...fields, id: messageId(ulid, seq), seq }, lastActivityAt: next.createdAt, updatedAt: next.createdAt });
      return seq;
    },
    recordMessage: async (chatId, preview) => {
      await tick();
      const chat = this.chatMap.get(chatId);
      if (chat && chat.lastSeq < preview.seq) {
        Object.assign(chat, { lastSeq: preview.seq, lastMessage: clone(preview), lastActivityAt: preview.createdAt, updatedAt: preview.createdAt });
      }
    },
    update: async (current, changes, options = {}) => {
      await tick();
      const chat = this.chatMap.get(current.id);
      if (!chat) return undefined;
      for (const [field, value] of Object.entries(options.expect ?? {})) {
        if ((chat[field as keyof ChatRecord] ?? null) !== (value ?? null)) return undefined;
      }
      // As in DynamoDB's transaction: a uniqueness that belongs to another chat fails the whole update.
      const released = options.releaseUnique && uniqueKey(options.releaseUnique).PK;
      if (released && (this.uniqueMap.get(released) ?? current.id) !== current.id) return undefined;
      for (const [field, value] of Object.entries(changes)) {
        if (value === undefined) delete chat[field as keyof ChatRecord];
        else Object.assign(chat, { [field]: clone(value) });
      }
      if (released) this.uniqueMap.delete(released);
      return clone({ ...current, ...changes });
    },
    replacePreview: async (chatId, preview, head) => {
      await tick();
      const chat = this.chatMap.get(chatId);
      if (chat?.lastMessage?.id !== preview.id) return { replaced: false };
      chat.lastMessage = clone(preview);
      if (head === undefined) return { replaced: true };
      // The head only moves forward, as in DynamoDB (a later one stays and is answered).
      if (!(chat.changedAt && chat.changedAt >= head)) chat.changedAt = head;
      return { replaced: true, changedAt: chat.changedAt };
    },
    recordFirstResponse: async (chatId, at, seconds) => {
      await tick();
      const chat = this.chatMap.get(chatId);
      if (chat && !chat.firstResponseAt) Object.assign(chat, { firstResponseAt: at, firstResponseSeconds: seconds });
    },
  };

  memberships: Repository['memberships'] = {
    listByUser: async (userId) => (await tick(), [...this.memberMap.values()].filter((m) => m.userId === userId).map(clone)),
    listParticipants: async (chatId) => {
      await tick();
      return [...this.memberMap.values()].filter((m) => m.chatId === chatId).map((m) => ({ userId: m.userId, role: m.role, joinedAt: m.joinedAt }));
    },
    readMarkers: async (chatId, userIds) => {
      await tick();
      return new Map(userIds.filter((u) => this.memberMap.has(`${chatId}|${u}`)).map((u) => [u, this.memberMap.get(`${chatId}|${u}`)!.lastReadSeq]));
    },
    advanceReadMarker: async (chatId, userId, seq, at) => {
      await tick();
      const m = this.memberMap.get(`${chatId}|${userId}`);
      if (!m || m.lastReadSeq >= seq) return { moved: false, lastReadSeq: m?.lastReadSeq };
      m.lastReadSeq = seq;
      m.lastReadAt = at;
      return { moved: true, lastReadSeq: seq };
    },
    getMany: async (chatId, userIds) => {
      await tick();
      return userIds.map((u) => this.memberMap.get(`${chatId}|${u}`)).filter((m) => m !== undefined).map(clone);
    },
    add: async (chatId, members, maxSize) => {
      await tick();
      const chat = this.chatMap.get(chatId);
      if (!chat) return 'missing';
      if (chat.participantCount + members.length > maxSize) return 'full';
      if (members.some((m) => this.memberMap.has(`${chatId}|${m.userId}`))) return 'conflict';
      for (const m of members) this.memberMap.set(`${chatId}|${m.userId}`, clone(m));
      chat.participantCount += members.length;
      return 'added';
    },
    remove: async (chatId, userId, expectedRole) => {
      await tick();
      const chat = this.chatMap.get(chatId);
      const key = `${chatId}|${userId}`;
      if (expectedRole && this.memberMap.get(key)?.role !== expectedRole) return false;
      if (!chat || !this.memberMap.delete(key)) return false;
      chat.participantCount -= 1;
      this.formerSet.add(`${userId}|${chatId}`);
      return true;
    },
    listFormer: async (userId) => (await tick(), [...this.formerSet].filter((k) => k.startsWith(`${userId}|`)).map((k) => k.slice(userId.length + 1))),
    forgetFormer: async (userId, chatId) => {
      await tick();
      this.formerSet.delete(`${userId}|${chatId}`);
    },
    update: async (chatId, userId, changes) => {
      await tick();
      const m = this.memberMap.get(`${chatId}|${userId}`);
      if (!m) return false;
      Object.assign(m, changes);
      return true;
    },
    markNotified: async (chatId, userId, { seq, at, expected, mention }) => {
      await tick();
      const m = this.memberMap.get(`${chatId}|${userId}`);
      if (!m) return false;
      const ok = mention ? m.notifiedSeq === undefined || m.notifiedSeq < seq : m.notifiedSeq === expected;
      if (ok) Object.assign(m, { notifiedSeq: seq, notifiedAt: at });
      return ok;
    },
    addMention: async (chatId, userIds, seq) => {
      await tick();
      for (const u of userIds) {
        const m = this.memberMap.get(`${chatId}|${u}`);
        if (m) m.mentionSeqs = [...new Set([...(m.mentionSeqs ?? []), seq])].sort((a, b) => a - b);
      }
    },
    dropMentions: async (chatId, userId, seqs) => {
      await tick();
      const m = this.memberMap.get(`${chatId}|${userId}`);
      if (!m || seqs.length === 0) return;
      const left = (m.mentionSeqs ?? []).filter((s) => !seqs.includes(s));
      m.mentionSeqs = left.length > 0 ? left : undefined;
    },
  };

  readonly pinMap = new Map<string, { seq: number; messageId: string; pinnedAt: string; pinnedBy: string }>(); // `${chatId}|${seq}`

  pins: Repository['pins'] = {
    pin: async ({ chatId, seq, id }, { pinnedBy, pinnedAt, max }) => {
      await tick();
      const m = this.messageMap.get(`${chatId}|${seq}`);
      if (!m || m.id !== id || m.deletedAt) return 'missing';
      if (m.pinnedAt) return 'already';
      if (!this.chatMap.has(chatId)) return 'missing';
      if ([...this.pinMap.keys()].filter((k) => k.startsWith(`${chatId}|`)).length >= max) return 'full';
      Object.assign(m, { pinnedAt, pinnedBy });
      this.pinMap.set(`${chatId}|${seq}`, { seq, messageId: id, pinnedAt, pinnedBy });
      return 'pinned';
    },
    unpin: async ({ chatId, seq, id }) => {
      await tick();
      const m = this.messageMap.get(`${chatId}|${seq}`);
      if (!m || m.id !== id || !m.pinnedAt) return false;
      delete m.pinnedAt;
      delete m.pinnedBy;
      this.pinMap.delete(`${chatId}|${seq}`);
      return true;
    },
    list: async (chatId) => (await tick(), [...this.pinMap.entries()].filter(([k]) => k.startsWith(`${chatId}|`)).map(([, v]) => clone(v))),
  };

  readonly deviceMap = new Map<string, DeviceRecord>(); // `${userId}|${deviceId}`
  readonly tokenMap = new Map<string, { userId: string; deviceId: string }>(); // `${platform}|${token}`

  devices: Repository['devices'] = {
    list: async (userId) => (await tick(), [...this.deviceMap.values()].filter((d) => d.userId === userId).map(clone)),
    get: async (userId, deviceId) => (await tick(), clone(this.deviceMap.get(`${userId}|${deviceId}`))),
    holderOf: async (platform, token) => (await tick(), clone(this.tokenMap.get(`${platform}|${token}`))),
    register: async (device, remove, holder) => {
      await tick();
      const tokenKey = `${device.platform}|${device.token}`;
      const current = this.tokenMap.get(tokenKey);
      if (holder ? current?.userId !== holder.userId || current?.deviceId !== holder.deviceId : current !== undefined) return false;
      for (const old of remove) {
        this.deviceMap.delete(`${old.userId}|${old.deviceId}`);
        const pointer = this.tokenMap.get(`${old.platform}|${old.token}`);
        if (pointer?.userId === old.userId && pointer.deviceId === old.deviceId) this.tokenMap.delete(`${old.platform}|${old.token}`);
      }
      this.deviceMap.set(`${device.userId}|${device.deviceId}`, clone(device));
      this.tokenMap.set(tokenKey, { userId: device.userId, deviceId: device.deviceId });
      return true;
    },
    remove: async (userId, deviceId) => {
      await tick();
      const device = this.deviceMap.get(`${userId}|${deviceId}`);
      if (!device) return undefined;
      this.deviceMap.delete(`${userId}|${deviceId}`);
      const key = `${device.platform}|${device.token}`;
      const pointer = this.tokenMap.get(key);
      if (pointer?.userId === userId && pointer.deviceId === deviceId) this.tokenMap.delete(key);
      return device;
    },
    setEndpoint: async (userId, deviceId, token, endpointArn) => {
      await tick();
      const device = this.deviceMap.get(`${userId}|${deviceId}`);
      if (device && device.token === token) device.endpointArn = endpointArn;
    },
  };

  support: Repository['support'] = {
    queuePage: async ({ status, assigneeId, limit, start }) => {
      await tick();
      // DynamoDB's order: sort keys compared as bytes; a full page always carries a position (the next page may be empty).
      const rows = this.supportChats()
        .filter((c) => (!status || c.status === status) && (assigneeId === undefined || (c.assigneeId ?? null) === assigneeId))
        .map((c) => ({ key: `${c.status}#${c.createdAt}#${c.id}`, id: c.id }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const from = start ? rows.filter((r) => r.key <= (start.key as string)).length : 0;
      const page = rows.slice(from, from + limit);
      return { chatIds: page.map((r) => r.id), next: page.length === limit ? { key: page.at(-1)!.key } : undefined };
    },
    openCountForAgent: async (agentId) => (await tick(), this.supportChats().filter((c) => c.assigneeId === agentId && c.status !== 'closed').length),
    agents: async (now) =>
      (await tick(), [...this.userMap.values()].filter((u) => u.roles.includes('support') && (u.supportUntil ?? 0) >= now.getTime() / 1000).map((u) => u.id).sort()),
    entries: async () => {
      await tick();
      return this.supportChats().map((c) => ({
        chatId: c.id,
        status: c.status!,
        createdAt: c.createdAt,
        assigneeId: c.assigneeId,
        firstResponseSeconds: c.firstResponseSeconds,
      }));
    },
  };

  private supportChats(): ChatRecord[] {
    return [...this.chatMap.values()].filter((c) => c.type === 'support' && c.status);
  }

  messages: Repository['messages'] = {
    latestSeq: async (chatId) => (await tick(), Math.max(0, ...this.chatMessages(chatId).map((m) => m.seq))),
    get: async (chatId, seq) => (await tick(), clone(this.messageMap.get(`${chatId}|${seq}`))),
    putAtomically: async (message) => {
      await tick();
      if (this.messageMap.has(`${message.chatId}|${message.seq}`)) return 'seq-taken';
      const slots = (message.attachments ?? []).map((a) => this.attachmentMap.get(`${message.chatId}|${a.id}`));
      if (slots.some((s) => !s || s.status !== 'pending' || s.ownerId !== message.senderId)) return 'attachment-used';
      this.messageMap.set(`${message.chatId}|${message.seq}`, clone(message));
      for (const s of slots) {
        Object.assign(s!, { status: 'attached', messageId: message.id });
        delete s!.expiresAt;
      }
      return 'stored';
    },
    findByClientId: async (chatId, senderId, cmid) => {
      await tick();
      const pointer = this.clientIdMap.get(`${chatId}|${senderId}|${cmid}`);
      return pointer && this.messages.findClaimedMessage(chatId, pointer);
    },
    claimClientId: async (key, messageUlid, now, leaseSeconds) => {
      await tick();
      const id = `${key.chatId}|${key.senderId}|${key.clientMessageId}`;
      const existing = this.clientIdMap.get(id);
      if (existing) return { ...existing };
      this.clientIdMap.set(id, { messageUlid, leaseUntil: Math.floor(now.getTime() / 1000) + leaseSeconds });
      return undefined;
    },
    takeOverClientId: async (key, previous, messageUlid, now, leaseSeconds) => {
      await tick();
      const id = `${key.chatId}|${key.senderId}|${key.clientMessageId}`;
      const existing = this.clientIdMap.get(id);
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const free = previous.messageUlid ? existing?.messageUlid === previous.messageUlid && (existing.leaseUntil ?? Infinity) < nowSeconds : !existing;
      if (!free) return false;
      this.clientIdMap.set(id, { messageUlid, leaseUntil: nowSeconds + leaseSeconds });
      return true;
    },
    releaseClientId: async (key, messageUlid) => {
      await tick();
      const id = `${key.chatId}|${key.senderId}|${key.clientMessageId}`;
      if (this.clientIdMap.get(id)?.messageUlid === messageUlid) this.clientIdMap.delete(id);
    },
    findClaimedMessage: async (chatId, pointer) => {
      await tick();
      if (pointer.seq !== undefined) return clone(this.messageMap.get(`${chatId}|${pointer.seq}`));
      if (!pointer.messageUlid) return undefined;
      return clone(this.chatMessages(chatId).find((m) => m.id.startsWith(`${pointer.messageUlid}-`)));
    },
    edit: async (target, change) => {
      await tick();
      const m = this.messageMap.get(`${target.chatId}|${target.seq}`);
      if (!m || m.id !== target.id || m.senderId !== target.senderId || m.deletedAt || m.createdAt < change.editableSince) return undefined;
      Object.assign(m, { content: change.content, editedAt: change.editedAt });
      if (change.mentions !== undefined) m.mentions = change.mentions.length > 0 ? [...change.mentions] : undefined;
      return clone(m);
    },
    softDelete: async (target, at) => {
      await tick();
      const m = this.messageMap.get(`${target.chatId}|${target.seq}`);
      if (!m || m.id !== target.id) return { deleted: false };
      if (m.deletedAt) return { deleted: false, message: clone(m) };
      Object.assign(m, { content: '', deletedAt: at, reactions: {} });
      delete m.attachments;
      delete m.metadata;
      return { deleted: true, message: clone(m) };
    },
    react: async (target, { reaction, userId, add, current, maxKinds }) => {
      await tick();
      const m = this.messageMap.get(`${target.chatId}|${target.seq}`);
      if (!m || m.id !== target.id || m.deletedAt) return 'stale';
      // The same conditions as the DynamoDB update: what the caller read must still hold.
      const users = new Set(m.reactions[reaction] ?? []);
      const kinds = Object.keys(m.reactions).length;
      if (add && (current.users > 0 ? users.size === 0 : users.size > 0 || kinds >= maxKinds)) return 'stale';
      if (!add && (!users.has(userId) || (current.users > 1 ? users.size <= 1 : users.size !== 1))) return 'stale';
      if (add) users.add(userId);
      else users.delete(userId);
      if (users.size) m.reactions[reaction] = [...users].sort();
      else delete m.reactions[reaction];
      return clone(m);
    },
    getMany: async (chatId, seqs) => (await tick(), [...new Set(seqs)].map((seq) => this.messageMap.get(`${chatId}|${seq}`)).filter((m) => m !== undefined).map(clone)),
    page: async (chatId, { before, after, limit }) => {
      await tick();
      const all = this.chatMessages(chatId);
      if (after !== undefined) {
        const above = all.filter((m) => m.seq > after);
        return { messages: above.slice(0, limit).map(clone), hasMore: above.length > limit };
      }
      const below = before === undefined ? all : all.filter((m) => m.seq < before);
      return { messages: below.slice(-limit).map(clone), hasMore: below.length > limit };
    },
  };

  connections: Repository['connections'] = {
    put: async (c) => void (await tick(), this.connectionMap.set(c.connectionId, clone(c))),
    get: async (id) => (await tick(), clone(this.connectionMap.get(id))),
    delete: async (id) => {
      await tick();
      const c = this.connectionMap.get(id);
      this.connectionMap.delete(id);
      return c;
    },
    addToPresence: async (userId, connectionId, expiresAt) => {
      await tick();
      const p = this.presenceMap.get(userId) ?? { userId, connections: [] };
      // As in DynamoDB: entries that expired without `$disconnect` are pruned when the user connects again.
      const now = Math.floor(this.now().getTime() / 1000);
      p.connections = [...p.connections.filter((c) => c.connectionId !== connectionId && c.expiresAt > now), { connectionId, expiresAt }];
      this.presenceMap.set(userId, p);
      return clone(p);
    },
    removeFromPresence: async (userId, connectionId, at) => {
      await tick();
      const p = this.presenceMap.get(userId) ?? { userId, connections: [] };
      p.connections = p.connections.filter((c) => c.connectionId !== connectionId);
      p.lastSeenAt = at;
      this.presenceMap.set(userId, p);
      return clone(p);
    },
    deletePresence: async (userId) => {
      await tick();
      this.presenceMap.delete(userId);
    },
    getPresence: async (ids) => (await tick(), new Map(ids.map((id) => [id, clone(this.presenceMap.get(id) ?? { userId: id, connections: [] })]))),
  };

  private chatMessages(chatId: string): MessageRecord[] {
    return [...this.messageMap.values()].filter((m) => m.chatId === chatId).sort((a, b) => a.seq - b.seq);
  }
}

/** What DynamoDB throws for an unconditional-looking write whose condition failed (never expected in these tests). */
function conditionFailed(what: string): Error {
  return Object.assign(new Error(`The conditional request failed (${what})`), { name: 'ConditionalCheckFailedException' });
}

/**
 * Records every event with its audience, as the chat's participants at send
 * time; like the real notifier, participants without a live presence entry
 * (other than the sender) get the offline notification an event carries.
 */
export class RecordingNotifier implements Notifier {
  readonly sent: { userIds: string[]; event: ServerEvent }[] = [];
  constructor(
    private readonly repo: Repository,
    private readonly offline: OfflinePublisher,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async toChat(chat: ChatAudience, event: ServerEvent | ServerEvent[], options?: { exceptUserId?: string; offline?: OfflineNotice; hide?: HiddenFrom }) {
    const chatId = chat.id;
    const participants = await this.repo.memberships.listParticipants(chatId);
    const audience = participants.map((p) => p.userId).filter((u) => u !== options?.exceptUserId);
    // The same split by what each recipient may see as the real notifier's (SPEC §9).
    const groups = hidingGroups(audience, { event, hide: options?.hide });
    for (const group of groups) for (const e of group.events) this.sent.push({ userIds: group.userIds, event: e as ServerEvent });
    const notice = options?.offline;
    if (!notice) return;
    const userIds = groups.flatMap((g) => g.userIds);
    const blockers = new Set(groups.filter((g) => !g.notify).flatMap((g) => g.userIds));
    const presence = await this.repo.connections.getPresence(userIds);
    const now = Math.floor(this.now().getTime() / 1000);
    const offline = userIds
      .filter((u) => !presence.get(u)?.connections.some((c) => c.expiresAt > now))
      .map((userId) => ({ userId, lastSeenAt: presence.get(userId)?.lastSeenAt }));
    // The same coalescing rule as the real notifier (`lib/delivery.ts`).
    await notifyOffline({ repo: this.repo, offline: this.offline, now: this.now }, chatId, offline, notice, blockers).catch(() => undefined);
  }

  async toUsers(userIds: readonly string[], event: ServerEvent) {
    this.sent.push({ userIds: [...userIds], event });
  }

  /** Connections closed through `@connections` DELETE, in order, and the farewell frames posted before. */
  readonly closed: string[] = [];
  readonly farewells: string[] = [];
  async close(connectionId: string, farewell?: string) {
    this.closed.push(connectionId);
    if (farewell !== undefined) this.farewells.push(farewell);
  }

  ofType(type: string) {
    return this.sent.filter((s) => s.event.type === type);
  }
}

/**
 * Objects in a map. Presigned URLs are fake but carry the key, so tests can
 * tell which object a URL names; `upload` stands in for the client's PUT.
 */
export class MemoryStorage implements AttachmentStorage {
  readonly objects = new Map<string, { contentType: string; size: number; body: Uint8Array }>();
  /**
   * Stands in for the client's PUT. `body` is the object's bytes, or just
   * its size: then the bytes are a real header of `contentType` (a minimal
   * file of that type, `sampleFile`) padded to `size`.
   */
  upload(key: string, contentType: string, body: number | Uint8Array) {
    const bytes = typeof body === 'number' ? sampleFile(contentType, body) : body;
    this.objects.set(key, { contentType, size: bytes.length, body: bytes });
  }
  async presignUpload(key: string, contentType: string, size: number) {
    return { method: 'PUT' as const, url: `memory://upload/${key}?type=${encodeURIComponent(contentType)}&size=${size}`, headers: { 'content-type': contentType } };
  }
  async readStart(key: string, bytes: number) {
    const object = this.objects.get(key);
    return object && { contentType: object.contentType, size: object.size, head: object.body.slice(0, bytes) };
  }
  async copy(from: string, to: string) {
    const object = this.objects.get(from);
    if (!object) throw new Error(`NoSuchKey ${from}`);
    this.objects.set(to, { ...object });
  }
  async remove(keys: readonly string[]) {
    for (const key of keys) this.objects.delete(key);
  }
  /** Documents written with `putObject` (exports), by key. */
  readonly documents = new Map<string, { body: string; contentType: string }>();
  async putObject(key: string, body: string, contentType: string) {
    this.documents.set(key, { body, contentType });
    const bytes = new TextEncoder().encode(body);
    this.objects.set(key, { contentType, size: bytes.length, body: bytes });
  }
  async presignDownload(key: string) {
    return `memory://download/${key}`;
  }
}

/** Keeps published offline notifications; `fail` makes every publish throw (the domain must not care). */
export class RecordingOffline implements OfflinePublisher {
  readonly published: OfflineNotification[] = [];
  fail = false;
  async publish(notifications: OfflineNotification[]) {
    if (this.fail) throw new Error('EventBridge is down');
    this.published.push(...notifications);
  }
}

/** Keeps published bus events (reports, audit). */
export class RecordingBus implements EventPublisher {
  readonly published: BusEvent[] = [];
  async publish(events: BusEvent[]) {
    this.published.push(...structuredClone(events));
  }
  ofType(detailType: string) {
    return this.published.filter((e) => e.detailType === detailType).map((e) => e.detail);
  }
}

/** Keeps audit entries in order; `fail` makes every record throw (the domain must not care). */
export class RecordingAudit implements AuditLog {
  readonly entries: AuditEntry[] = [];
  fail = false;
  async record(entry: AuditEntry) {
    if (this.fail) throw new Error('EventBridge is down');
    this.entries.push(entry);
  }
  /** Entries with this action. */
  of(action: string) {
    return this.entries.filter((e) => e.action === action);
  }
}

/** Keeps enqueued governance jobs; tests run them with the worker functions (`runErasure`, `runExport`). */
export class RecordingJobs implements JobQueue {
  readonly sent: GovernanceJob[] = [];
  async send(job: GovernanceJob) {
    this.sent.push(clone(job));
  }
}

/** Keeps the SNS endpoints the domain deleted (SPEC §8: a device that goes away takes its endpoint along). */
export class RecordingEndpoints {
  readonly deleted: string[] = [];
  async deleteEndpoint(endpointArn: string) {
    this.deleted.push(endpointArn);
  }
}

/** A domain context on the in-memory fakes with a controllable clock. */
export function memoryContext(options: { limits?: Partial<Limits>; start?: Date } = {}) {
  const clock = { now: options.start ?? new Date('2026-01-01T00:00:00.000Z') };
  const repo = new MemoryRepository(() => clock.now);
  const offline = new RecordingOffline();
  const bus = new RecordingBus();
  const notifier = new RecordingNotifier(repo, offline, () => clock.now);
  const storage = new MemoryStorage();
  const audit = new RecordingAudit();
  const jobs = new RecordingJobs();
  const endpoints = new RecordingEndpoints();
  const newId = monotonicFactory();
  const ctx: DomainContext = {
    repo,
    // Published as in production: stamped with `at` and recorded for sync (`notifier.sent` keeps what was delivered).
    notifier: withChangeLog(notifier, { changes: repo.changes, now: () => new Date(clock.now), windowSeconds: { ...DEFAULT_LIMITS, ...options.limits }.syncWindowSeconds }),
    offline,
    bus,
    audit,
    jobs,
    storage,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    cursors: createCursorCodec(TEST_CURSOR_SECRET),
    now: () => new Date(clock.now),
    newId: () => newId(clock.now.getTime()),
    pushEndpoints: endpoints,
  };
  /** Moves the clock forward by `ms`. */
  const advance = (ms: number) => {
    clock.now = new Date(clock.now.getTime() + ms);
  };
  return { ctx, repo, notifier, offline, audit, bus, jobs, storage, endpoints, advance };
}

/** A principal, registered in the directory like a caller who has used the API. */
export async function user(repo: MemoryRepository, userId: string, roles: ('support' | 'admin')[] = [], seenAt = new Date('2026-01-01T00:00:00.000Z')) {
  const principal = { userId, name: userId.toUpperCase(), roles: ['user' as const, ...roles] };
  // As `recordCaller` does with the default directory role TTL.
  await repo.users.touch(principal, seenAt.toISOString(), Math.floor(seenAt.getTime() / 1000) + DEFAULT_LIMITS.directoryRoleSeconds);
  return principal;
}
