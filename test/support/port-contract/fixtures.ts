/**
 * Records for the port contract suite: every id is fresh, so the tests of one
 * suite share a repository (one DynamoDB table) without seeing each other.
 */
import { ulid } from 'ulid';
import { beforeAll } from 'vitest';
import { messageId } from '../../../functions/domain/ids';
import type { Repository } from '../../../functions/domain/ports';
import type { AttachmentRecord, ChatRecord, MembershipRecord, MessageRecord } from '../../../functions/domain/types';

/** Builds the repository under test: a fresh one per call (a new table on DynamoDB). */
export type MakeRepository = () => Repository | Promise<Repository>;

/**
 * The repository one `describe` block tests, built once before its tests
 * (`beforeAll`) and reached through this handle.
 */
export function repositoryFor(makeRepo: MakeRepository): Repository {
  let built: Repository | undefined;
  beforeAll(async () => {
    built = await makeRepo();
  });
  return new Proxy({} as Repository, {
    get: (_target, store) => {
      if (!built) throw new Error('The repository is built in beforeAll; use it inside tests and hooks.');
      return built[store as keyof Repository];
    },
  });
}

export const T0 = '2026-03-01T10:00:00.000Z';
export const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

export const uid = (prefix: string) => `${prefix}-${ulid().toLowerCase()}`;

export function chatRecord(over: Partial<ChatRecord> = {}): ChatRecord {
  return { id: uid('chat'), type: 'group', createdBy: 'creator', createdAt: T0, updatedAt: T0, lastSeq: 0, lastActivityAt: T0, participantCount: 0, ...over };
}

export function member(chatId: string, userId: string, over: Partial<MembershipRecord> = {}): MembershipRecord {
  return { chatId, userId, chatType: 'group', role: 'member', joinedAt: T0, lastReadSeq: 0, archived: false, ...over };
}

/** A message with an id of ours (`<ULID>-<seq>`); `ulid` fixes the id's ULID part. */
export function messageRecord(chatId: string, seq: number, over: Partial<MessageRecord> & { ulid?: string } = {}): MessageRecord {
  const { ulid: id = ulid(), ...rest } = over;
  return { id: messageId(id, seq), chatId, seq, senderId: 'sender', type: 'text', content: `message ${seq}`, reactions: {}, createdAt: at(seq), ...rest };
}

export function attachmentRecord(chatId: string, ownerId: string, over: Partial<AttachmentRecord> = {}): AttachmentRecord {
  return { id: uid('att'), chatId, ownerId, filename: 'scan.pdf', contentType: 'application/pdf', size: 1234, status: 'pending', createdAt: T0, expiresAt: 2_000_000_000, ...over };
}

/** A chat with its members, created through the port. */
export async function chatWith(repo: Repository, userIds: string[], over: Partial<ChatRecord> = {}): Promise<ChatRecord> {
  const chat = chatRecord({ participantCount: userIds.length, ...over });
  const created = await repo.chats.create(chat, userIds.map((u) => member(chat.id, u, { chatType: chat.type })));
  if (!created.created) throw new Error('fixture chat not created');
  return chat;
}

/** The stored chat, read through the port (strongly consistent). */
export async function storedChat(repo: Repository, chatId: string): Promise<ChatRecord | undefined> {
  return (await repo.chats.getWithMembership(chatId, 'nobody')).chat;
}
