/**
 * What the domain needs from the outside world. `functions/data/repository.ts`
 * implements `Repository` on DynamoDB (one store factory per entity module);
 * `functions/lib/delivery.ts` implements `Notifier` on the `@connections` API;
 * the unit tests use the in-memory fake `test/support/memory.ts`. One contract
 * suite (`test/support/port-contract/`) runs every store method against
 * both, so the fake cannot drift from DynamoDB.
 */
import type {
  AttachmentRecord,
  BlockRecord,
  ChatBanRecord,
  ChatRecord,
  ConnectionRecord,
  DeviceRecord,
  MembershipRecord,
  MessagePreview,
  MessageRecord,
  ParticipantRecord,
  ParticipantRole,
  PresenceRecord,
  ModerationState,
  Principal,
  ReportRecord,
  ReportStatus,
  PushPlatform,
  SupportStatus,
  UserRecord,
} from './types';

export interface UserStore {
  get(userId: string): Promise<UserRecord | undefined>;
  /** Missing ids are absent from the map. */
  getMany(userIds: readonly string[]): Promise<Map<string, UserRecord>>;
  /** Creates or replaces a directory entry (admin provisioning), keeping `createdAt`. */
  put(user: UserRecord): Promise<UserRecord>;
  /**
   * Records a caller seen with a token: roles from the token, the name too
   * when the token has a `name` claim (`principal.nameFromToken`; otherwise
   * an existing entry keeps its name), `createdAt` kept. A `support` role
   * counts for assignment until `supportUntil` (epoch seconds; default: a
   * day after `now`). Resolves to the directory's name after the write
   * (undefined for an erased entry, which is never written).
   */
  touch(principal: Principal, now: string, supportUntil?: number): Promise<string | undefined>;
  /**
   * SPEC §10 erasure: the entry becomes `{id, name: "Deleted user",
   * deleted: true}` (email, roles and the role index go); later `touch`es
   * never write it again. Idempotent.
   */
  erase(userId: string, at: string): Promise<void>;
  /**
   * Whether the user was erased (one GetItem of the entry's `deleted`
   * flag). A "no" may be answered from this container's memory for up to
   * `maxAgeSeconds`; `erase` in this container forgets it at once.
   */
  isErased(userId: string, maxAgeSeconds?: number): Promise<boolean>;
}

/**
 * What makes a chat one of a kind: one direct chat per pair of users (in
 * either order), one chat per app context, one support chat per requester
 * that is not closed. The store keeps one uniqueness item per value.
 */
export type ChatUniqueness =
  | { kind: 'direct'; userIds: readonly [string, string] }
  /** SPEC §4: per (context.type, context.id, the set of people) and chat type: other people, another chat. */
  | { kind: 'context'; chatType: 'direct' | 'group'; type: string; id: string; people: readonly string[] }
  | { kind: 'support'; requesterId: string };

export interface ChatStore {
  /**
   * Creates the chat and its memberships. With `unique` the create is
   * conditional on that uniqueness being free; when it is taken, nothing is
   * written and the existing chat id is returned.
   */
  create(chat: ChatRecord, members: MembershipRecord[], unique?: ChatUniqueness): Promise<{ created: true } | { created: false; chatId: string }>;
  /** The chat id a uniqueness points to, if any (eventually consistent: `create` settles a race). */
  findUnique(unique: ChatUniqueness): Promise<string | undefined>;
  /** Chats by id, in no particular order; missing ids are absent. */
  getMany(chatIds: readonly string[]): Promise<ChatRecord[]>;
  /** The chat and the caller's membership, read strongly consistently in one request. */
  getWithMembership(chatId: string, userId: string): Promise<{ chat?: ChatRecord; membership?: MembershipRecord }>;
  /**
   * Allocates the chat's next seq atomically (SPEC §3: unique, strictly
   * increasing) and makes `next`, the message about to be stored at it, the
   * chat's `lastMessage` (`id` = `messageId(next.ulid, seq)`); moves
   * `lastActivityAt`. Concurrent callers never get the same seq, and the
   * preview of the highest seq allocated always wins. Undefined when the
   * chat does not exist.
   */
  allocateSeq(chatId: string, next: Omit<MessagePreview, 'id' | 'seq'> & { ulid: string }): Promise<number | undefined>;
  /** Moves `lastSeq`/`lastMessage`/`lastActivityAt` forward; a lower seq arriving late changes nothing (seeding, imports). */
  recordMessage(chatId: string, preview: MessagePreview): Promise<void>;
  /**
   * Applies `changes` if the chat still has the `expect`ed values; with
   * `releaseUnique` also frees that uniqueness (when it is this chat's),
   * atomically. Answers `current` with the changes, or undefined when the
   * chat changed underneath (or the uniqueness belongs to another chat).
   */
  update(
    current: ChatRecord,
    changes: ChatChanges,
    options?: { expect?: Partial<Pick<ChatRecord, 'status' | 'assigneeId'>>; releaseUnique?: ChatUniqueness },
  ): Promise<ChatRecord | undefined>;
  /**
   * Replaces `lastMessage` when it still is the message with this id (after
   * an edit or delete). With `head` (an ISO time), the same write also moves
   * the chat's `changedAt` forward to it, never back: the sync head rides on
   * a write the change makes anyway (`change-log.ts`). Answers whether the
   * preview was replaced and, when it was and a `head` was given, the chat's
   * `changedAt` after the write (`head`, or a later one a concurrent change
   * had written); nothing is written when the preview shows another message
   * (or there is no such chat).
   */
  replacePreview(chatId: string, preview: MessagePreview, head?: string): Promise<{ replaced: boolean; changedAt?: string }>;
  /** Stamps a support chat's first response once. */
  recordFirstResponse(chatId: string, at: string, seconds: number): Promise<void>;
}

export type ChatChanges = Partial<Pick<ChatRecord, 'title' | 'metadata' | 'status' | 'assigneeId' | 'participantIds' | 'updatedAt' | 'frozen'>>;

export interface MembershipStore {
  /** Every membership of a user (all chat types, archived included). */
  listByUser(userId: string): Promise<MembershipRecord[]>;
  /** Participants of a chat (userId, role, joinedAt), from GSI1, in no particular order. */
  listParticipants(chatId: string): Promise<ParticipantRecord[]>;
  /** `lastReadSeq` of the given participants. */
  readMarkers(chatId: string, userIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * Moves the read marker forward only. `moved: false` when it already was
   * at or past `seq`, with the stored marker (`lastReadSeq` absent when
   * there is no such membership).
   */
  advanceReadMarker(chatId: string, userId: string, seq: number, at: string): Promise<{ moved: true; lastReadSeq: number } | { moved: false; lastReadSeq?: number }>;
  /** Memberships of these users in the chat (non-members absent). */
  getMany(chatId: string, userIds: readonly string[]): Promise<MembershipRecord[]>;
  /**
   * Adds memberships, keeping `participantCount` ≤ `maxSize`: `full` when the
   * limit would be passed, `conflict` when one of them joined meanwhile,
   * `missing` when there is no such chat.
   */
  add(chatId: string, members: MembershipRecord[], maxSize: number): Promise<'added' | 'full' | 'conflict' | 'missing'>;
  /**
   * Removes a membership; false when there was none, or, with `expectedRole`,
   * when its role is no longer that one (a condition expression: whoever
   * removes an owner knows it was the owner, so ownership is handed over).
   * Leaves a former membership behind (`listFormer`), so an erasure still
   * finds the chats the user sent messages to before they left (SPEC §10).
   */
  remove(chatId: string, userId: string, expectedRole?: ParticipantRole): Promise<boolean>;
  /** Chat ids the user was removed from or left (their former memberships). */
  listFormer(userId: string): Promise<string[]>;
  /** Drops a former membership (the erasure is done with that chat). */
  forgetFormer(userId: string, chatId: string): Promise<void>;
  /** Changes per-user state or role; false when there is no such membership. */
  update(chatId: string, userId: string, changes: Partial<Pick<MembershipRecord, 'archived' | 'role' | 'notificationLevel'>>): Promise<boolean>;
  /**
   * SPEC §8 coalescing: records that the user was notified about `seq` at
   * `at`, on the condition that nobody else did meanwhile: the stored
   * `notifiedSeq` is still `expected` (undefined: none), or, for a mention
   * (`mention: true`), lower than `seq`. False (nothing written) when the
   * condition failed or there is no such membership. One write.
   */
  markNotified(chatId: string, userId: string, change: { seq: number; at: string; expected?: number; mention: boolean }): Promise<boolean>;
  /** Adds `seq` to the `mentionSeqs` of each of these members (non-members skipped). One write per user. */
  addMention(chatId: string, userIds: readonly string[], seq: number): Promise<void>;
  /** Removes these seqs from the user's `mentionSeqs` (those the read marker passed). */
  dropMentions(chatId: string, userId: string, seqs: readonly number[]): Promise<void>;
}

/** Pins (SPEC §4): the message's `pinnedAt`/`pinnedBy`, one pin item per pinned message, the chat's `pinCount`. */
export interface PinStore {
  /**
   * Pins the message (id, not deleted) when the chat has fewer than `max`
   * pins, atomically. `already`: it is pinned; `missing`: no such message,
   * or deleted; `full`: the chat has `max` pins.
   */
  pin(
    target: { chatId: string; seq: number; id: string },
    pin: { pinnedBy: string; pinnedAt: string; max: number },
  ): Promise<'pinned' | 'already' | 'full' | 'missing'>;
  /** Unpins it; false when it was not pinned (or is not this message). */
  unpin(target: { chatId: string; seq: number; id: string }): Promise<boolean>;
  /** The chat's pins, in no particular order (strongly consistent). */
  list(chatId: string): Promise<{ seq: number; messageId: string; pinnedAt: string; pinnedBy: string }[]>;
}

/**
 * Push devices (SPEC §8): one item per device in the user's partition, and
 * one pointer per token naming the device that holds it, so a token
 * registered by a second user moves to them.
 */
export interface DeviceStore {
  /** The user's devices, in no particular order (one Query). */
  list(userId: string): Promise<DeviceRecord[]>;
  get(userId: string, deviceId: string): Promise<DeviceRecord | undefined>;
  /** The device that holds this token now, if any. */
  holderOf(platform: string, token: string): Promise<{ userId: string; deviceId: string } | undefined>;
  /**
   * Stores `device` and makes it the token's holder, deleting `remove`
   * (devices it replaces: the token's previous holder, the evicted 11th,
   * the same device's old token) with their pointers, in one transaction.
   * `holder` is what the caller read from `holderOf`: false (nothing
   * written) when the token changed hands meanwhile.
   */
  register(device: DeviceRecord, remove: readonly DeviceRecord[], holder: { userId: string; deviceId: string } | undefined): Promise<boolean>;
  /** Deletes a device and its token pointer (when it still names it); answers the deleted device. */
  remove(userId: string, deviceId: string): Promise<DeviceRecord | undefined>;
  /** Records the SNS endpoint of a device, if it still has this token. */
  setEndpoint(userId: string, deviceId: string, token: string, endpointArn: string): Promise<void>;
}

/** The support desk's queue and directory (SPEC §4 support routes). */
export interface SupportStore {
  /**
   * A page of support chat ids, by status then age; `assigneeId: null` =
   * unassigned. `next` (opaque) is where the following page starts; every
   * full page has one, so the page after it may be empty.
   */
  queuePage(filter: {
    status?: SupportStatus;
    assigneeId?: string | null;
    limit: number;
    start?: Record<string, unknown>;
  }): Promise<{ chatIds: string[]; next?: Record<string, unknown> }>;
  /** Support chats assigned to the agent that are not closed. */
  openCountForAgent(agentId: string): Promise<number>;
  /** Users with the `support` role in the directory whose role has not lapsed at `now` (`UserRecord.supportUntil`). */
  agents(now: Date): Promise<string[]>;
  /** Every support chat's status, creation time, assignee and first-response time. */
  entries(): Promise<{ chatId: string; status: SupportStatus; createdAt: string; assigneeId?: string | null; firstResponseSeconds?: number }[]>;
}

/** Which `clientMessageId` a claim is about: one sender's, in one chat. */
export interface ClientIdKey {
  chatId: string;
  senderId: string;
  clientMessageId: string;
}

/** A `clientMessageId` pointer: a claim (`messageUlid` + `leaseUntil`, epoch seconds) or a stored message's `seq`. */
export interface ClientIdPointer {
  messageUlid?: string;
  leaseUntil?: number;
  seq?: number;
}

export interface MessageStore {
  /**
   * Stores the message at its seq. With attachments, in one transaction that
   * also marks each attachment used (each must still be `pending` and owned
   * by the sender); without, a plain conditional put. Claim the
   * `clientMessageId` first with `claimClientId`.
   * `attachment-used`: one of the attachments was consumed meanwhile.
   */
  putAtomically(message: MessageRecord): Promise<'stored' | 'seq-taken' | 'retry' | 'attachment-used'>;
  /**
   * Claims a `clientMessageId` for the message whose id starts with
   * `messageUlid`, with a lease of `leaseSeconds`. Undefined when claimed;
   * else the existing pointer.
   */
  claimClientId(key: ClientIdKey, messageUlid: string, now: Date, leaseSeconds: number): Promise<ClientIdPointer | undefined>;
  /** Takes over `previous` (its lease ran out, or it was released); false when another repeat won. */
  takeOverClientId(key: ClientIdKey, previous: ClientIdPointer, messageUlid: string, now: Date, leaseSeconds: number): Promise<boolean>;
  /** Gives up our claim (nothing was stored). */
  releaseClientId(key: ClientIdKey, messageUlid: string): Promise<void>;
  /** The message a pointer designates, if stored (strongly consistent). */
  findClaimedMessage(chatId: string, pointer: ClientIdPointer): Promise<MessageRecord | undefined>;
  /** The highest stored seq of a chat (strongly consistent), 0 when empty. */
  latestSeq(chatId: string): Promise<number>;
  get(chatId: string, seq: number, consistent?: boolean): Promise<MessageRecord | undefined>;
  /** The message the sender stored with this `clientMessageId`, if remembered. */
  findByClientId(chatId: string, senderId: string, clientMessageId: string): Promise<MessageRecord | undefined>;
  /**
   * New content (and, when given, new `mentions`, replacing the old; [] removes them) if still the
   * author's, not deleted and sent at or after `editableSince`; else undefined.
   */
  edit(
    target: { chatId: string; seq: number; id: string; senderId: string },
    change: { content: string; editedAt: string; editableSince: string; mentions?: string[] },
  ): Promise<MessageRecord | undefined>;
  /**
   * Soft delete (content, attachments, metadata and every reaction dropped;
   * `reactions`: those the caller read, any added meanwhile go too).
   * `deleted: false` when it already was deleted, with the stored message
   * (absent when there is no message with this id).
   */
  softDelete(
    target: { chatId: string; seq: number; id: string },
    deletedAt: string,
    reactions?: readonly string[],
  ): Promise<{ deleted: true; message: MessageRecord } | { deleted: false; message?: MessageRecord }>;
  /**
   * Adds or removes one user's reaction atomically, keeping the count of
   * distinct reactions ≤ `change.maxKinds`. `current` is what the caller
   * read (users of this reaction, distinct reactions); `stale` (nothing
   * written) when the message changed, was deleted or reached the limit
   * meanwhile: read it again.
   */
  react(target: { chatId: string; seq: number; id: string }, change: ReactionChange): Promise<MessageRecord | 'stale'>;
  /** Messages of a chat by seq (eventually consistent); missing ones are absent. */
  getMany(chatId: string, seqs: readonly number[]): Promise<MessageRecord[]>;
  /**
   * A page in ascending seq order. `before`: the latest `limit` below it;
   * `after`: the earliest `limit` above it; neither: the latest `limit`.
   * `hasMore` says whether more exist beyond the page in the paging direction.
   */
  page(chatId: string, range: { before?: number; after?: number; limit: number }): Promise<{ messages: MessageRecord[]; hasMore: boolean }>;
}

/** A reaction change, with what the caller read of the message (see `MessageStore.react`). */
export interface ReactionChange {
  reaction: string;
  userId: string;
  add: boolean;
  current: { users: number; kinds: number };
  maxKinds: number;
}

export interface ConnectionStore {
  put(connection: ConnectionRecord): Promise<void>;
  get(connectionId: string, consistent?: boolean): Promise<ConnectionRecord | undefined>;
  /** Deletes the record and returns it (undefined when already gone). */
  delete(connectionId: string): Promise<ConnectionRecord | undefined>;
  /** Adds a live connection to the user's presence; answers the presence after the change. */
  addToPresence(userId: string, connectionId: string, expiresAt: number): Promise<PresenceRecord>;
  /** Removes a connection from the user's presence and stamps `lastSeenAt`. */
  removeFromPresence(userId: string, connectionId: string, at: string): Promise<PresenceRecord>;
  getPresence(userIds: readonly string[]): Promise<Map<string, PresenceRecord>>;
  /** Deletes the user's presence item (SPEC §10 erasure: no last-seen time stays behind). */
  deletePresence(userId: string): Promise<void>;
}

export interface AttachmentStore {
  /** Records a new pending upload slot. */
  create(attachment: AttachmentRecord): Promise<void>;
  /** The chat's attachment records with these ids (strongly consistent; others' chats are never found). */
  getMany(chatId: string, ids: readonly string[]): Promise<AttachmentRecord[]>;
}

/** Attachment objects (S3 on AWS, the local S3 server locally). */
export interface AttachmentStorage {
  /** A presigned upload bound to the key, the content type and the exact length. */
  presignUpload(key: string, contentType: string, size: number, expiresInSeconds: number): Promise<{ method: 'PUT'; url: string; headers: Record<string, string> }>;
  /**
   * Content type, total size and the first `bytes` bytes (fewer when the
   * object is shorter) of an object, undefined when there is none: one
   * ranged GetObject (`Range: bytes=0-<bytes-1>`), so at most `bytes` bytes
   * pass through Lambda.
   */
  readStart(key: string, bytes: number): Promise<{ contentType?: string; size?: number; head: Uint8Array } | undefined>;
  /** Server-side copy (no bytes through Lambda). */
  copy(fromKey: string, toKey: string): Promise<void>;
  /** Best-effort deletion; never throws. */
  remove(keys: readonly string[]): Promise<void>;
  /** Writes a whole object (an export document, SPEC §10), server-side encrypted like every object. */
  putObject(key: string, body: string, contentType: string): Promise<void>;
  /** A presigned download URL that names the file. */
  presignDownload(key: string, file: { filename: string; contentType: string }, expiresInSeconds: number): Promise<string>;
}

export interface RateLimitStore {
  /**
   * Counts `amount` actions (default 1) of `bucket` (default: messages) in the
   * current fixed window of `windowSeconds`; refused, counting nothing, when
   * they would pass `limit`.
   */
  take(
    userId: string,
    windowSeconds: number,
    limit: number,
    now: Date,
    options?: { bucket?: string; amount?: number },
  ): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
  /** True when the last action of this user and `key` let through is at least `intervalSeconds` old (then this one is recorded). */
  throttle(userId: string, key: string, intervalSeconds: number, now: Date): Promise<boolean>;
}

/**
 * SPEC §9 blocks and platform bans: one moderation item per user
 * (`ModerationState`) plus one item per block for the blocker's list.
 */
export interface ModerationStore {
  /** The user's state (empty sets and no ban when nothing was ever recorded). `consistent`: strongly consistent read. */
  state(userId: string, consistent?: boolean): Promise<ModerationState>;
  /**
   * Records that `blockerId` blocks `blockedId`, atomically on both users'
   * moderation items and the block item. False (nothing written) when it
   * already did.
   */
  block(blockerId: string, blockedId: string, at: string): Promise<boolean>;
  /** Lifts a block, atomically on all three items; false when there was none. */
  unblock(blockerId: string, blockedId: string): Promise<boolean>;
  /** The users `blockerId` blocks, oldest block first. */
  blocks(blockerId: string): Promise<BlockRecord[]>;
  /** Sets (`ban`) or lifts (undefined) a platform ban. */
  setBan(userId: string, ban: ModerationState['ban']): Promise<void>;
}

/** SPEC §9 group bans: one item per (chat, user) in the chat's partition. */
export interface ChatBanStore {
  /** Creates or replaces a ban. */
  put(ban: ChatBanRecord): Promise<void>;
  /** The bans of these users in the chat (expired ones included: the domain decides). */
  getMany(chatId: string, userIds: readonly string[]): Promise<ChatBanRecord[]>;
  /** Every ban of the chat, oldest first. */
  list(chatId: string): Promise<ChatBanRecord[]>;
  /** Removes a ban; false when there was none. */
  remove(chatId: string, userId: string): Promise<boolean>;
}

/** SPEC §9 reports: the report items and the moderation queue (open first, oldest first). */
export interface ReportStore {
  /**
   * Stores a report unless its reporter already reported this message:
   * then nothing is written and the first report's id is answered.
   */
  create(report: ReportRecord): Promise<{ created: true } | { created: false; reportId: string }>;
  get(reportId: string, consistent?: boolean): Promise<ReportRecord | undefined>;
  /**
   * A page of the queue: open reports first, then resolved, then dismissed,
   * each oldest first; `status` narrows it. `next` (opaque) continues it.
   */
  page(filter: { status?: ReportStatus; limit: number; start?: Record<string, unknown> }): Promise<{ reports: ReportRecord[]; next?: Record<string, unknown> }>;
  /** Closes an open report; undefined (nothing written) when it is not open any more. */
  resolve(reportId: string, change: Required<Pick<ReportRecord, 'status' | 'resolvedAt' | 'resolvedBy' | 'action'>>): Promise<ReportRecord | undefined>;
  /** SPEC §10: every report `reporterId` filed (any status), oldest first. */
  listByReporter(reporterId: string): Promise<ReportRecord[]>;
  /**
   * SPEC §10 erasure of the reporter: deletes a report with its uniqueness
   * item (in the partition of the author, `message.senderId`) and reporter
   * pointer; idempotent (a missing one is fine).
   */
  remove(report: Pick<ReportRecord, 'id' | 'chatId' | 'messageId' | 'reporterId' | 'message'>): Promise<void>;
  /**
   * SPEC §10 erasure of the author: a page of the reports of messages
   * `authorId` sent (any status, any reporter), in chat, message, reporter
   * order; `after` (opaque, from `next`) continues after a page, `next` is
   * absent on the last one. Found by key, never by a scan.
   */
  pageByAuthor(authorId: string, page: { limit: number; after?: string }): Promise<{ reports: ReportRecord[]; next?: string }>;
  /**
   * Replaces a report's `message` snapshot, nothing else (status, resolution
   * and the queue position stay). False, with nothing written, when the
   * report does not exist (e.g. erased with its reporter meanwhile).
   */
  replaceSnapshot(reportId: string, message: Record<string, unknown>): Promise<boolean>;
}

/**
 * One recorded change (SPEC §7): the event exactly as it was sent, under a
 * change id that is unique and time-ordered (a ULID of the time it was
 * recorded), kept until `expiresAt` (epoch seconds, the sync window).
 */
export interface ChangeEntry {
  id: string;
  event: ServerEvent;
  expiresAt: number;
  /** User-log `participant.removed` entries: when the removed user had joined, so their sync reads the chat's log only from then on. */
  joinedAt?: string;
  /**
   * SPEC §9: who got this chat-log event hidden live (`Notifier.toChat`'s
   * `hide`), so a sync replays it to each of them exactly as delivered:
   * placeholders for those who block the sender, a hidden reply preview for
   * those who block the quoted message's sender.
   */
  hide?: HiddenFrom;
}

/**
 * The change log behind `GET /v1/sync` (SPEC §7; README "Data model"): a
 * log per chat for events every participant gets, a log per user for
 * events addressed to one user, and a per-chat head (`changedAt` on the
 * chat item) that tells a sync which chats to read.
 */
export interface ChangeStore {
  /** Appends a chat-wide entry. */
  appendToChat(chatId: string, entry: ChangeEntry): Promise<void>;
  /** Appends an entry to each user's log (one write per user). */
  appendToUsers(userIds: readonly string[], entry: ChangeEntry): Promise<void>;
  /** Moves the chat's `changedAt` forward to `at` (never back; nothing when there is no such chat). */
  touchChat(chatId: string, at: string): Promise<void>;
  /**
   * The user's memberships and the entries of their own log with an id
   * greater than `after`, in one strongly consistent read (one Query: the
   * user log sorts right before the memberships).
   */
  userState(userId: string, after: string): Promise<{ memberships: MembershipRecord[]; entries: ChangeEntry[] }>;
  /** `changedAt` of each chat (strongly consistent); chats without one are absent. */
  heads(chatIds: readonly string[]): Promise<Map<string, string>>;
  /**
   * A chat's entries with `after < id ≤ upTo` (no upper bound without
   * `upTo`), ascending, at most `limit` (strongly consistent); `more` when
   * there are further entries in the range.
   */
  chatEntries(chatId: string, range: { after: string; upTo?: string; limit: number }): Promise<{ entries: ChangeEntry[]; more: boolean }>;
}

export interface Repository {
  readonly users: UserStore;
  readonly chats: ChatStore;
  readonly memberships: MembershipStore;
  readonly messages: MessageStore;
  readonly connections: ConnectionStore;
  readonly support: SupportStore;
  readonly rateLimits: RateLimitStore;
  readonly attachments: AttachmentStore;
  readonly moderation: ModerationStore;
  readonly chatBans: ChatBanStore;
  readonly reports: ReportStore;
  readonly changes: ChangeStore;
  readonly devices: DeviceStore;
  readonly pins: PinStore;
  readonly erasures: ErasureStore;
  readonly exports: ExportStore;
}

/** Where an erasure worker stopped (SPEC §10: it resumes there after a crash). */
export interface ErasureCheckpoint {
  /** The step running (`domain/erasure.ts` `ERASURE_STEPS`). */
  step: string;
  /** Within the `chats` and `former` steps: the chat in progress, and the last seq done in it. */
  chatId?: string;
  afterSeq?: number;
  /** Within the `reported` step: where the next page of reports of the user's messages starts (`ReportStore.pageByAuthor`'s `next`). */
  afterReport?: string;
}

export interface ErasureRecord {
  id: string;
  userId: string;
  status: 'pending' | 'running' | 'done';
  requestedBy: string;
  requestedAt: string;
  startedAt?: string;
  finishedAt?: string;
  messagesErased: number;
  chatsLeft: number;
  reactionsRemoved: number;
  checkpoint: ErasureCheckpoint;
}

export interface ErasureStore {
  /**
   * Creates the erasure unless the user already has one (one per user,
   * SPEC §10: a repeat returns the same erasure): then nothing is written
   * and the existing one is answered.
   */
  create(erasure: ErasureRecord): Promise<{ created: true; erasure: ErasureRecord } | { created: false; erasure: ErasureRecord }>;
  get(erasureId: string): Promise<ErasureRecord | undefined>;
  /** Saves progress (status, counters, checkpoint) after a batch. */
  save(erasure: ErasureRecord): Promise<void>;
}

export interface ExportRecord {
  id: string;
  userId: string;
  requestedBy: string;
  status: 'pending' | 'running' | 'done' | 'failed';
  createdAt: string;
  finishedAt?: string;
  /** Object key of the document (`exports/<userId>/<exportId>.json`). */
  key?: string;
  bytes?: number;
  /** Epoch seconds: DynamoDB TTL removes the record with the document's lifecycle. */
  expiresAt?: number;
}

export interface ExportStore {
  create(exp: ExportRecord): Promise<void>;
  get(exportId: string): Promise<ExportRecord | undefined>;
  save(exp: ExportRecord): Promise<void>;
}

/** Background jobs of data governance (SQS on AWS, the local queue locally). */
export type GovernanceJob = { kind: 'erasure'; erasureId: string; userId: string; part: number } | { kind: 'export'; exportId: string; userId: string };

export interface JobQueue {
  /** Enqueues a job; throws when the queue refused it (the caller answers 5xx and the client retries). */
  send(job: GovernanceJob): Promise<void>;
}

/**
 * The message an event is about, for offline notifications to participants
 * without an open connection (SPEC §8). With `PUSH_PREVIEW=none` the send
 * leaves out `preview`, `senderName` and `chatTitle`, so they are not even
 * queued.
 */
export interface OfflineNotice {
  messageId: string;
  seq: number;
  /** Never notified about their own message. */
  senderId: string;
  senderName?: string;
  chatTitle?: string;
  /** First 100 characters. */
  preview?: string;
  /** Participants the message mentions: notified even when already notified (unless their level is `none`). */
  mentions?: string[];
  /**
   * Only these recipients may be notified (an edit notifies just the participants it newly mentions,
   * `editMessage`); absent: every offline participant the rule lets through.
   */
  recipients?: string[];
  /** The chat's latest seq when it is past `seq` (an edit of an older message): the notification's `unreadCount` counts up to it. */
  lastSeq?: number;
}

/**
 * The chat an event goes to. `participantCount` (from the chat item the
 * caller already read) decides inline or queued delivery without a query.
 * `changedAt` (and `updatedAt`, when present) is the chat's sync head as the
 * caller knows it: as read, or as the caller's own write of the chat item
 * left it (`ChatStore.replacePreview` with a head). The change log writes
 * the head itself only when that is older than `HEAD_SLACK_MS / 2`.
 */
export type ChatAudience = Pick<ChatRecord, 'id' | 'participantCount'> & Partial<Pick<ChatRecord, 'changedAt'>>;

/** One chat event to deliver: inline, or as a fan-out job (serializable). */
export interface ChatDelivery {
  chatId: string;
  /** Several events share one participant and presence lookup; each connection gets them in this order. */
  event: EventInput | EventInput[];
  exceptUserId?: string;
  offline?: OfflineNotice;
  /** SPEC §9: recipients who see the events with hidden parts (`domain/hidden.ts`). */
  hide?: HiddenFrom;
}

/**
 * SPEC §9: who sees what hidden. `sender`: the users who block the
 * message's sender (placeholders, no typing, never notified); `reply`: the
 * users who block the sender of the message a reply quotes (hidden preview).
 */
export interface HiddenFrom {
  sender?: readonly string[];
  reply?: readonly string[];
}

/**
 * An offline notification, the `Detail` of `chat.message.offline` (SPEC §8).
 * `preview`, `senderName` and `chatTitle` are absent with `PUSH_PREVIEW=none`.
 */
export interface OfflineNotification {
  recipientId: string;
  chatId: string;
  chatTitle?: string;
  messageId: string;
  seq: number;
  senderId: string;
  senderName?: string;
  /** First 100 characters of the content. */
  preview?: string;
  mentioned: boolean;
  /** The recipient's unread messages in this chat. */
  unreadCount: number;
}

/** A domain event for the bus (SPEC §9 `chat.report.created`, §10 `chat.audit`). */
export interface BusEvent {
  detailType: string;
  detail: Record<string, unknown>;
}

/** The stack's EventBridge bus (`lib/bus.ts`); never throws. */
export interface EventPublisher {
  publish(events: BusEvent[]): Promise<void>;
}

/**
 * One mobile push (SPEC §8): the chat is the collapse key (APNs
 * `apns-collapse-id`, FCM `collapse_key`), `badge` the recipient's total
 * unread count. `title`/`body` are absent with `PUSH_PREVIEW=none`.
 */
export interface PushMessage {
  chatId: string;
  messageId: string;
  seq: number;
  title?: string;
  body?: string;
  badge: number;
  mentioned: boolean;
}

/** Amazon SNS mobile push (a local recorder in the local stack). */
export interface PushService {
  /** Platforms with a configured SNS platform application; empty = push is off. */
  readonly platforms: readonly PushPlatform[];
  /** Creates (or finds: SNS answers the same ARN for the same token) the platform endpoint of a token. */
  createEndpoint(platform: PushPlatform, token: string, userId: string): Promise<string>;
  /**
   * `gone`: SNS reports the endpoint disabled or invalid (the app was uninstalled, the token expired);
   * `missing`: there is no such endpoint (deleted meanwhile), the token may still be good.
   */
  publish(endpointArn: string, platform: PushPlatform, message: PushMessage): Promise<'sent' | 'gone' | 'missing'>;
  /** Best effort; never throws. */
  deleteEndpoint(endpointArn: string): Promise<void>;
}

export interface OfflinePublisher {
  /** Publishes the notifications; never throws (a failure must not fail the send). */
  publish(notifications: OfflineNotification[]): Promise<void>;
}

/** Server → client events (SPEC §6): exactly the zod `ServerEvents` schemas, so an event cannot be sent in a shape the documents do not show. */
import type { ServerEvent } from '../schemas';

export type { ServerEvent };

/**
 * An event as the domain emits it: `at` (SPEC §6, the ISO time of the
 * change) may be left out, and the publication (`change-log.ts`) stamps the
 * time it records the change. Emitters that know the time of the change
 * (a message's `createdAt`, an edit's `editedAt`) pass it.
 */
export type EventInput = ServerEvent extends infer E ? (E extends { at: string } ? Omit<E, 'at'> & { at?: string } : E) : never;

export interface Notifier {
  /**
   * Sends `event` to every open connection of every participant of the chat
   * (SPEC §6), except `exceptUserId` when given (typing is not echoed). With
   * `offline`, participants without an open connection get an offline
   * notification. With `hide`, those recipients get the events as
   * `hideEvents` shows them, and `hide.sender` gets no offline
   * notification (SPEC §8, §9). Large chats are delivered asynchronously,
   * in order.
   * Never throws: the change is already stored.
   */
  toChat(chat: ChatAudience, event: EventInput | EventInput[], options?: { exceptUserId?: string; offline?: OfflineNotice; hide?: HiddenFrom }): Promise<void>;
  /** Sends `event` to every open connection of the given users. */
  toUsers(userIds: readonly string[], event: EventInput): Promise<void>;
  /**
   * Closes a connection (`@connections` DELETE), after posting `farewell`
   * (a frame, JSON text) to it when given; one already gone is fine. Never throws.
   */
  close(connectionId: string, farewell?: string): Promise<void>;
}

/**
 * What an admin or support action was about (SPEC §10 audit). `chatId`
 * locates a message (its id alone does not).
 */
export interface AuditTarget {
  type: 'user' | 'chat' | 'message' | 'report' | 'erasure' | 'export';
  id: string;
  chatId?: string;
}

/**
 * One audit record (SPEC §10): who (`actorId`, `actorRoles` from their
 * token; `system` for the background workers), what (`action`, e.g.
 * `user.provisioned`; see `domain/audit.ts`), on what (`target`), when
 * (`at`, ISO-8601 UTC). `details` holds ids and states only, never message
 * content (health data stays out of logs and the bus).
 */
export interface AuditEntry {
  actorId: string;
  actorRoles: string[];
  action: string;
  target: AuditTarget;
  at: string;
  details?: Record<string, string | number | boolean | null>;
}

/** Where audit records go: the `chat.audit` event on the bus and a structured log line (`functions/lib/audit.ts`). */
export interface AuditLog {
  /** Records the entry; never throws (the audited action already happened). */
  record(entry: AuditEntry): Promise<void>;
}
