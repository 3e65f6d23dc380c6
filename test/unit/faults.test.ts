/**
 * Fault injection (issue 7): throttling, conflicts and timeouts from
 * DynamoDB, and `@connections` failing with 410, 429 and timeouts. Nothing
 * half-written, a clear 503 when retries are exhausted, every other
 * recipient still served.
 */
import { describe, expect, it } from 'vitest';
import { createChat } from '../../functions/domain/chats';
import { connect } from '../../functions/domain/connections';
import { markRead, sendMessage } from '../../functions/domain/messages';
import { createNotifier } from '../../functions/lib/delivery';
import { toAppError } from '../../functions/lib/problem';
import { memoryContext, user } from '../support/memory';

const awsError = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(name), { name, ...extra });

describe('DynamoDB faults', () => {
  it('maps throttling, conflicts and timeouts to 503 with Retry-After, and anything else to a generic 500', () => {
    for (const name of ['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'TransactionConflictException', 'TimeoutError', 'InternalServerError']) {
      const e = toAppError(awsError(name));
      expect(e, name).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    }
    expect(toAppError(awsError('TransactionCanceledException', { CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError' }] })).status).toBe(503);
    expect(toAppError(awsError('TransactionCanceledException', { CancellationReasons: [{ Code: 'ValidationError' }] })).status).toBe(500);
    const generic = toAppError(new Error('secret table name in a stack trace'));
    expect(generic).toMatchObject({ status: 500, code: 'internal' });
    expect(generic.message).not.toContain('secret');
  });

  it('fills the allocated seq with a deleted placeholder when the message write fails, so the retry follows it without a gap', async () => {
    const { ctx, repo } = memoryContext();
    const alice = await user(repo, 'alice');
    await user(repo, 'bob');
    const { chat } = await createChat(ctx, alice, { type: 'direct', participantIds: ['bob'] });
    await sendMessage(ctx, alice, chat.id, { content: 'first' });
    const put = repo.messages.putAtomically;
    // Only the message's own write fails; the placeholder (no content) goes through.
    repo.messages.putAtomically = async (m) => {
      if (m.content !== '') throw awsError('ProvisionedThroughputExceededException');
      return put(m);
    };
    const error = await sendMessage(ctx, alice, chat.id, { content: 'lost?', clientMessageId: 'c-1' }).catch((e) => toAppError(e));
    expect(error).toMatchObject({ status: 503 });
    repo.messages.putAtomically = put;
    const placeholder = repo.messageMap.get(`${chat.id}|2`)!;
    expect(placeholder).toMatchObject({ seq: 2, senderId: 'alice', content: '', deletedAt: expect.any(String) });
    expect(placeholder.clientMessageId).toBeUndefined();
    // Nothing of the failed content is left: not in the chat list preview either.
    expect(repo.chatMap.get(chat.id)!).toMatchObject({ lastSeq: 2, lastMessage: { id: placeholder.id, seq: 2, content: '' } });
    // The claim was given back: the retry with the same clientMessageId stores the message, next seq.
    expect((await sendMessage(ctx, alice, chat.id, { content: 'retried', clientMessageId: 'c-1' })).message).toMatchObject({ seq: 3, content: 'retried' });
    expect(repo.chatMap.get(chat.id)!.lastMessage).toMatchObject({ seq: 3, content: 'retried' });
  });

  it('answers success once the message is stored, even when the read-marker update fails afterwards', async () => {
    const { ctx, repo } = memoryContext();
    const alice = await user(repo, 'alice');
    await user(repo, 'bob');
    const { chat } = await createChat(ctx, alice, { type: 'direct', participantIds: ['bob'] });
    repo.memberships.advanceReadMarker = async () => {
      throw awsError('ThrottlingException');
    };
    await expect(markRead(ctx, alice, chat.id)).resolves.toBeDefined(); // nothing to move: no write attempted
    const { message } = await sendMessage(ctx, alice, chat.id, { content: 'stored' });
    expect(message.seq).toBe(1);
    // Reporting a failure here would make the client send the message again.
    expect([...repo.messageMap.values()].map((m) => m.content)).toEqual(['stored']);
    expect(repo.chatMap.get(chat.id)!).toMatchObject({ lastSeq: 1, lastMessage: { seq: 1, content: 'stored' } });
  });
});

describe('@connections faults', () => {
  async function setup(fail: (connectionId: string) => Error | undefined) {
    const m = memoryContext();
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((id) => user(m.repo, id)));
    const { chat } = await createChat(m.ctx, alice, { type: 'group', participantIds: ['bob', 'carol'] });
    // Connections recorded long enough ago that a 410 proves them gone (see CONNECT_GRACE_SECONDS).
    const realNow = new Date();
    const past = { ...m.ctx, now: () => new Date(realNow.getTime() - 60_000) };
    await connect(past, bob, 'bob-gone', 3600);
    await connect(past, bob, 'bob-phone', 3600);
    await connect(past, carol, 'carol-throttled', 3600);
    await connect(past, carol, 'carol-slow', 3600);
    await connect(past, alice, 'alice-ok', 3600);
    const posted: string[] = [];
    const ctx = { ...m.ctx, now: () => new Date() };
    const notifier = createNotifier({
      repo: m.repo,
      endpoint: 'http://unused',
      offline: m.offline,
      inlineMax: 100,
      context: () => ctx,
      postToConnection: async (connectionId) => {
        const error = fail(connectionId);
        if (error) throw error;
        posted.push(connectionId);
      },
    });
    return { ...m, chat, notifier, posted, alice };
  }

  it('removes gone connections, skips throttled and timed-out ones, and still serves everyone else', async () => {
    const { repo, chat, notifier, posted } = await setup((id) =>
      id === 'bob-gone' ? awsError('GoneException') : id === 'carol-throttled' ? awsError('LimitExceededException', { $metadata: { httpStatusCode: 429 } }) : id === 'carol-slow' ? awsError('TimeoutError') : undefined,
    );
    await notifier.toChat({ id: chat.id, participantCount: 3 }, { type: 'message.new', chatId: chat.id, message: {} as never });
    expect(posted.sort()).toEqual(['alice-ok', 'bob-phone']);
    expect(repo.connectionMap.has('bob-gone')).toBe(false);
    expect(repo.presenceMap.get('bob')!.connections.map((c) => c.connectionId)).toEqual(['bob-phone']);
    // Throttled and slow connections are not gone: they stay.
    expect(repo.connectionMap.has('carol-throttled')).toBe(true);
    expect(repo.connectionMap.has('carol-slow')).toBe(true);
  });

  it('never fails the request when every post fails', async () => {
    const { chat, notifier, posted } = await setup(() => awsError('InternalServerError'));
    await expect(notifier.toChat({ id: chat.id, participantCount: 3 }, { type: 'typing', chatId: chat.id, userId: 'alice', isTyping: true })).resolves.toBeUndefined();
    expect(posted).toEqual([]);
  });
});
