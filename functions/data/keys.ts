/**
 * Every key value and prefix of the single table, in one place. The entity
 * modules next to this file, the bench and the tests build and read keys
 * only through these functions; the README's "Data model" section lists the
 * same keys with the access patterns they serve.
 *
 * | Item | PK | SK | index keys |
 * |---|---|---|---|
 * | user | `USER#<userId>` | `PROFILE` | GSI2 `ROLE#support` / `<supportUntil, 10 digits>#<userId>` (agents only, while the role counts) |
 * | presence | `USER#<userId>` | `PRESENCE` | |
 * | membership | `USER#<userId>` | `CHAT#<chatId>` | GSI1 `CHAT#<chatId>` / `MEMBER#<userId>` |
 * | chat | `CHAT#<chatId>` | `META` | support chats: GSI1 `SUPPORT`, GSI2 `AGENT#<id or none>`, both / `<status>#<createdAt>#<chatId>` |
 * | message | `CHAT#<chatId>` | `MSG#<seq, 12 digits>` | |
 * | clientMessageId | `CHAT#<chatId>` | `CMID#<senderId>#<clientMessageId>` | |
 * | attachment | `CHAT#<chatId>` | `ATT#<attachmentId>` | |
 * | uniqueness | `UNIQUE#direct#<a>#<b>`, `UNIQUE#context#<chat type>#<type>#<id>#<SHA-256 of the people>`, `UNIQUE#support#<requesterId>` | `UNIQUE` | |
 * | device | `USER#<userId>` | `DEVICE#<deviceId>` | |
 * | push token | `PUSHTOKEN#<platform>#<SHA-256 of the token>` | `TOKEN` | |
 * | pin | `CHAT#<chatId>` | `PIN#<seq, 12 digits>` | |
 * | connection | `CONN#<connectionId>` | `CONN` | |
 * | rate counter | `RATE#<userId>#<window start>` (messages), `RATE#<userId>#<bucket>#<window start>` | `RATE` | |
 * | throttle | `RATE#<userId>#<key>` (e.g. `typing#<chatId>`) | `THROTTLE` | |
 * | former membership | `USER#<userId>` | `LEFT#<chatId>` | |
 * | erasure | `ERASURE#<erasureId>` | `ERASURE` | |
 * | erasure of a user | `USER#<userId>` | `ERASURE` (→ erasureId; one per user) | |
 * | export | `EXPORT#<exportId>` | `EXPORT` | |
 * | moderation state | `USER#<userId>` | `MODERATION` | |
 * | block | `USER#<blockerId>` | `BLOCK#<blockedId>` | |
 * | group ban | `CHAT#<chatId>` | `BAN#<userId>` | |
 * | report | `REPORT#<reportId>` | `REPORT` | GSI1 `REPORTS` / `<rank>#<status>#<createdAt>#<reportId>` (open = rank 0: first) |
 * | report of a message (uniqueness) | `USER#<authorId>` | `REPORTED#<chatId>#<messageId>#<reporterId>` (→ reportId; one report per reporter and message; the erasure of the author finds their reported messages by key) | |
 * | report of a reporter | `USER#<reporterId>` | `REPORT#<reportId>` (→ the report; for export and erasure) | |
 * | chat change (sync log) | `CHANGES#<chatId>` | `<change id: ULID>` | |
 * | user change (sync log) | `USER#<userId>` | `CHAT!<change id: ULID>` (sorts right before the memberships) | |
 */
import { createHash } from 'node:crypto';
import type { ChatUniqueness } from '../domain/ports';
import type { ChatRecord, SupportStatus } from '../domain/types';

/** Prefixes of key values: `<prefix><id>`. */
export const PREFIX = {
  user: 'USER#',
  chat: 'CHAT#',
  member: 'MEMBER#',
  message: 'MSG#',
  clientId: 'CMID#',
  attachment: 'ATT#',
  unique: 'UNIQUE#',
  connection: 'CONN#',
  rate: 'RATE#',
  agent: 'AGENT#',
  role: 'ROLE#',
  block: 'BLOCK#',
  ban: 'BAN#',
  report: 'REPORT#',
  /** Not a `REPORT#` prefix (`E` ≠ `#`): a `begins_with(SK, "REPORT#")` Query of the reports a user filed never reads these. */
  reported: 'REPORTED#',
  changes: 'CHANGES#',
  /** `!` sorts just before `#`: a user's change log sits right before their memberships (`CHAT#…`), so one Query range reads both. */
  userChange: 'CHAT!',
  device: 'DEVICE#',
  pushToken: 'PUSHTOKEN#',
  pin: 'PIN#',
  left: 'LEFT#',
  erasure: 'ERASURE#',
  export: 'EXPORT#',
} as const;

/** Fixed sort keys of the items that are one per partition. */
export const SORT = {
  chat: 'META',
  user: 'PROFILE',
  presence: 'PRESENCE',
  unique: 'UNIQUE',
  connection: 'CONN',
  rate: 'RATE',
  throttle: 'THROTTLE',
  moderation: 'MODERATION',
  report: 'REPORT',
  pushToken: 'TOKEN',
  erasure: 'ERASURE',
  export: 'EXPORT',
} as const;

/** GSI1 partition of the support queue: every support chat. */
export const SUPPORT_QUEUE = 'SUPPORT';

export type ItemKey = { PK: string; SK: string };

export const userPk = (userId: string) => `${PREFIX.user}${userId}`;
export const chatPk = (chatId: string) => `${PREFIX.chat}${chatId}`;

export const userKey = (userId: string): ItemKey => ({ PK: userPk(userId), SK: SORT.user });
export const presenceKey = (userId: string): ItemKey => ({ PK: userPk(userId), SK: SORT.presence });
export const chatKey = (chatId: string): ItemKey => ({ PK: chatPk(chatId), SK: SORT.chat });
export const connectionKey = (connectionId: string): ItemKey => ({ PK: `${PREFIX.connection}${connectionId}`, SK: SORT.connection });

/** A membership lives in the user's partition (my chats, my marker) and on GSI1 in the chat's (its participants). */
export const membershipKey = (chatId: string, userId: string): ItemKey => ({ PK: userPk(userId), SK: chatPk(chatId) });
export const participantIndexKey = (chatId: string, userId: string) => ({ GSI1PK: chatPk(chatId), GSI1SK: `${PREFIX.member}${userId}` });

/** Seqs are zero-padded so that string order is numeric order (up to 10^12 messages per chat). */
const SEQ_DIGITS = 12;
export const messageSk = (seq: number) => `${PREFIX.message}${String(seq).padStart(SEQ_DIGITS, '0')}`;
/** The highest message sort key: the open end of an `after` range. */
export const LAST_MESSAGE_SK = `${PREFIX.message}${'9'.repeat(SEQ_DIGITS)}`;
export const messageKey = (chatId: string, seq: number): ItemKey => ({ PK: chatPk(chatId), SK: messageSk(seq) });

/** A push device lives in its user's partition: one Query lists a user's devices. */
export const deviceKey = (userId: string, deviceId: string): ItemKey => ({ PK: userPk(userId), SK: `${PREFIX.device}${deviceId}` });

/**
 * Who holds a push token now (SPEC §8: a token moves to the user who
 * registers it last). The token is hashed: tokens run to 4 KB in the
 * schema and are secrets of a kind, so the key holds neither.
 */
export const pushTokenKey = (platform: string, token: string): ItemKey => ({
  PK: `${PREFIX.pushToken}${platform}#${createHash('sha256').update(token).digest('base64url')}`,
  SK: SORT.pushToken,
});

/** One pin per pinned message, in the chat's partition (a Query of `PIN#` lists them, ≤ 50). */
export const pinKey = (chatId: string, seq: number): ItemKey => ({ PK: chatPk(chatId), SK: `${PREFIX.pin}${String(seq).padStart(SEQ_DIGITS, '0')}` });

export const clientIdKey = (chatId: string, senderId: string, clientMessageId: string): ItemKey => ({
  PK: chatPk(chatId),
  SK: `${PREFIX.clientId}${senderId}#${clientMessageId}`,
});

export const attachmentKey = (chatId: string, attachmentId: string): ItemKey => ({ PK: chatPk(chatId), SK: `${PREFIX.attachment}${attachmentId}` });

/**
 * One counter per user, limit and window start (epoch seconds): its own
 * partition, so no key is hot. Messages keep the key without a bucket.
 */
export const rateKey = (userId: string, windowStart: number, bucket?: string): ItemKey => ({
  PK: bucket ? `${PREFIX.rate}${userId}#${bucket}#${windowStart}` : `${PREFIX.rate}${userId}#${windowStart}`,
  SK: SORT.rate,
});

/** One throttle per user and key (`typing#<chatId>`): the time of the last action let through. */
export const throttleKey = (userId: string, key: string): ItemKey => ({ PK: `${PREFIX.rate}${userId}#${key}`, SK: SORT.throttle });

/** The uniqueness item of a chat; a direct pair is the same key in either order. */
export function uniqueKey(unique: ChatUniqueness): ItemKey {
  const name =
    unique.kind === 'direct'
      ? `direct#${[...unique.userIds].sort().join('#')}`
      : unique.kind === 'context'
        ? `context#${unique.chatType}#${unique.type}#${unique.id}#${peopleDigest(unique.people)}`
        : `support#${unique.requesterId}`;
  return { PK: `${PREFIX.unique}${name}`, SK: SORT.unique };
}

/**
 * The set of people of a context chat as a short key part: SHA-256 (base64url)
 * of the sorted, distinct ids (user ids never contain ',', `schemas.UserId`).
 * A thousand people still make a key far below DynamoDB's 2 KB.
 */
function peopleDigest(people: readonly string[]): string {
  return createHash('sha256').update([...new Set(people)].sort().join(',')).digest('base64url');
}

/** GSI2 partition of the support chats assigned to an agent (`null`/absent: unassigned). */
export const agentPk = (assigneeId: string | null | undefined) => `${PREFIX.agent}${assigneeId ?? 'none'}`;

/** Sort-key prefix of one status in the support queue (GSI1 and GSI2). */
export const statusPrefix = (status: SupportStatus) => `${status}#`;

/** Statuses sort as closed < open < resolved < waiting, so every sort key above this one is not closed. */
export const AFTER_CLOSED = `${statusPrefix('closed')}\uffff`;

/** The support-queue index keys of a chat (none for direct and group chats, nor support chats without a status). */
export function supportIndexKeys(chat: Pick<ChatRecord, 'id' | 'type' | 'status' | 'assigneeId' | 'createdAt'>) {
  if (chat.type !== 'support' || !chat.status) return {};
  const sort = `${statusPrefix(chat.status)}${chat.createdAt}#${chat.id}`;
  return { GSI1PK: SUPPORT_QUEUE, GSI1SK: sort, GSI2PK: agentPk(chat.assigneeId), GSI2SK: sort };
}

/** Status and creation time from a support-queue sort key. */
export function parseSupportSort(sort: string): { status: SupportStatus; createdAt: string } {
  const [status, createdAt] = sort.split('#');
  return { status: status as SupportStatus, createdAt };
}

/**
 * GSI2 role directory: the users with a role, sorted by the epoch second
 * until which the role counts (`supportUntil`), so a key condition from
 * "now" on leaves lapsed roles out (10 digits: string order is numeric
 * order until 2286).
 */
export const rolePk = (role: 'support') => `${PREFIX.role}${role}`;
export const roleSortKey = (userId: string, until: number) => `${String(Math.max(0, Math.floor(until))).padStart(10, '0')}#${userId}`;
export const roleIndexKey = (role: 'support', userId: string, until: number) => ({ GSI2PK: rolePk(role), GSI2SK: roleSortKey(userId, until) });
/** The highest role sort key: the open end of the "not lapsed" range (older `USER#…` keys sort above it). */
export const LAST_ROLE_SK = '9999999999#\uffff';
/** The user id of a role sort key. */
export const userIdOfRoleSk = (sort: string) => sort.slice(sort.indexOf('#') + 1);

/** A chat's change log (SPEC §7 sync): one partition per chat, sorted by change id. */
export const chatChangesPk = (chatId: string) => `${PREFIX.changes}${chatId}`;
export const chatChangeKey = (chatId: string, changeId: string): ItemKey => ({ PK: chatChangesPk(chatId), SK: changeId });
/** A user's own change log: in their partition, sorted by change id, right before their memberships. */
export const userChangeSk = (changeId: string) => `${PREFIX.userChange}${changeId}`;
export const userChangeKey = (userId: string, changeId: string): ItemKey => ({ PK: userPk(userId), SK: userChangeSk(changeId) });
/** The highest membership sort key: the open end of the user-log-plus-memberships range. */
export const LAST_MEMBERSHIP_SK = `${PREFIX.chat}\uffff`;

/** The chat id of a `CHAT#<chatId>` key value. */
export const chatIdOf = (value: string) => value.slice(PREFIX.chat.length);
/** The user id of a `USER#<userId>` key value. */
export const userIdOf = (value: string) => value.slice(PREFIX.user.length);

/** A chat the user left or was removed from: the erasure's way to their messages there (SPEC §10). */
export const formerMembershipKey = (userId: string, chatId: string): ItemKey => ({ PK: userPk(userId), SK: `${PREFIX.left}${chatId}` });
/** The chat id of a `LEFT#<chatId>` sort key. */
export const chatIdOfFormer = (sort: string) => sort.slice(PREFIX.left.length);

export const erasureKey = (erasureId: string): ItemKey => ({ PK: `${PREFIX.erasure}${erasureId}`, SK: SORT.erasure });
/** One per user: its condition makes erasure requests idempotent per user. */
export const userErasureKey = (userId: string): ItemKey => ({ PK: userPk(userId), SK: SORT.erasure });

export const exportKey = (exportId: string): ItemKey => ({ PK: `${PREFIX.export}${exportId}`, SK: SORT.export });
/** SPEC §9: a user's moderation state (who blocks them, whom they block, a platform ban). */
export const moderationKey = (userId: string): ItemKey => ({ PK: userPk(userId), SK: SORT.moderation });
/** SPEC §9: one block, in the blocker's partition (their `GET /v1/me/blocks`). */
export const blockKey = (blockerId: string, blockedId: string): ItemKey => ({ PK: userPk(blockerId), SK: `${PREFIX.block}${blockedId}` });
/** SPEC §9: a group ban, in the chat's partition. */
export const chatBanKey = (chatId: string, userId: string): ItemKey => ({ PK: chatPk(chatId), SK: `${PREFIX.ban}${userId}` });
export const reportKey = (reportId: string): ItemKey => ({ PK: `${PREFIX.report}${reportId}`, SK: SORT.report });
/**
 * One report per reporter and message (SPEC §9: reporting again answers the
 * first), in the partition of the message's author, so the author's erasure
 * (SPEC §10) finds the reports of their messages with one Query of
 * `begins_with(SK, "REPORTED#")` (ordered by chat, then message, then reporter).
 */
export const reportedMessageKey = (authorId: string, chatId: string, messageId: string, reporterId: string): ItemKey => ({
  PK: userPk(authorId),
  SK: `${PREFIX.reported}${chatId}#${messageId}#${reporterId}`,
});
/** A report's pointer in its reporter's partition (SPEC §10: export and erasure find the reports a user filed by key). */
export const reporterReportKey = (reporterId: string, reportId: string): ItemKey => ({ PK: userPk(reporterId), SK: `${PREFIX.report}${reportId}` });
/** GSI1 partition of the moderation queue: every report. */
export const REPORT_QUEUE = 'REPORTS';
const REPORT_RANK = { open: 0, resolved: 1, dismissed: 2 } as const;
/** Sort-key prefix of one status in the moderation queue: open reports sort first. */
export const reportStatusPrefix = (status: keyof typeof REPORT_RANK) => `${REPORT_RANK[status]}#${status}#`;
/** The queue's index keys of a report: by status rank, then age. */
export const reportIndexKeys = (report: { id: string; status: keyof typeof REPORT_RANK; createdAt: string }) => ({
  GSI1PK: REPORT_QUEUE,
  GSI1SK: `${reportStatusPrefix(report.status)}${report.createdAt}#${report.id}`,
});
