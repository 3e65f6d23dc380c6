/**
 * Issue 13 item 1 (High): context chats could be captured. Carol created the
 * context first with Alice; Alice's later create of the same context with Bob
 * answered Carol's chat. SPEC §4: idempotent per (context.type, context.id,
 * the set of people).
 */
import { describe, expect, it } from 'vitest';
import { uniqueKey } from '../../functions/data/keys';
import { createChat, creationUniqueness } from '../../functions/domain/chats';
import { sendMessage, listMessages } from '../../functions/domain/messages';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

const appointment = { type: 'appointment', id: 'A-1001' };

describe('context chats are keyed on the people, not only the context', () => {
  it('an attacker who creates a guessed context first gets a chat of their own, never the victims\'', async () => {
    const { ctx, repo } = memoryContext();
    const alice = await user(repo, 'alice');
    const bob = await user(repo, 'bob');
    const carol = await user(repo, 'carol');

    // Carol guesses the appointment id and creates the context chat first, with Alice in it.
    const trap = await createChat(ctx, carol, { type: 'group', participantIds: ['alice'], context: appointment });
    expect(trap.created).toBe(true);

    // Alice's app later opens the appointment's chat with Bob, her doctor.
    const real = await createChat(ctx, alice, { type: 'group', participantIds: ['bob'], context: appointment });
    expect(real.created).toBe(true);
    expect(real.chat.id).not.toBe(trap.chat.id);
    expect(real.chat.participants!.map((p) => p.userId).sort()).toEqual(['alice', 'bob']);

    // Bob's app opens the same appointment chat: he gets Alice's, not a 409.
    const again = await createChat(ctx, bob, { type: 'group', participantIds: ['alice'], context: appointment });
    expect(again).toMatchObject({ created: false, chat: { id: real.chat.id } });

    // Alice's message goes to Bob only; Carol cannot read it.
    await sendMessage(ctx, alice, real.chat.id, { content: 'your x-ray shows an abscess' });
    expect(await codeOf(listMessages(ctx, carol, real.chat.id, { limit: 50 }))).toBe('404 not_found');
    expect((await listMessages(ctx, bob, real.chat.id, { limit: 50 })).messages.map((m) => m.content)).toEqual(['your x-ray shows an abscess']);
  });

  it('is idempotent for the same people in any order, and apart per chat type', async () => {
    const { ctx, repo } = memoryContext();
    const alice = await user(repo, 'alice');
    const bob = await user(repo, 'bob');
    await user(repo, 'dan');
    const first = await createChat(ctx, alice, { type: 'group', participantIds: ['bob', 'dan'], context: appointment });
    const reordered = await createChat(ctx, bob, { type: 'group', participantIds: ['dan', 'alice', 'dan'], context: appointment });
    expect(reordered).toMatchObject({ created: false, chat: { id: first.chat.id } });
    const direct = await createChat(ctx, alice, { type: 'direct', participantIds: ['bob'], context: appointment });
    const group = await createChat(ctx, alice, { type: 'group', participantIds: ['bob'], context: appointment });
    expect(new Set([first.chat.id, direct.chat.id, group.chat.id]).size).toBe(3);
  });

  it('answers a participant who left the chat 409, so leaving stays final', async () => {
    const { ctx, repo } = memoryContext();
    const alice = await user(repo, 'alice');
    await user(repo, 'bob');
    const { chat } = await createChat(ctx, alice, { type: 'group', participantIds: ['bob'], context: appointment });
    await repo.memberships.remove(chat.id, 'alice');
    expect(await codeOf(createChat(ctx, alice, { type: 'group', participantIds: ['bob'], context: appointment }))).toBe('409 conflict');
  });

  it('derives one key per set of people (order and duplicates do not matter, the caller counts)', () => {
    const key = (type: 'direct' | 'group', people: string[], context?: { type: string; id: string }) => {
      const unique = creationUniqueness(type, people, context);
      return unique && uniqueKey(unique).PK;
    };
    const base = key('group', ['alice', 'bob'], appointment);
    expect(key('group', ['bob', 'alice', 'bob'], appointment)).toBe(base);
    expect(key('group', ['alice', 'carol'], appointment)).not.toBe(base);
    expect(key('group', ['alice', 'bob', 'carol'], appointment)).not.toBe(base);
    expect(key('group', ['alice', 'bob'], { ...appointment, id: 'A-1002' })).not.toBe(base);
    expect(key('direct', ['alice', 'bob'], appointment)).not.toBe(base);
    // A thousand people still make a short key (DynamoDB keys are ≤ 2 KB).
    expect(key('group', Array.from({ length: 1000 }, (_, i) => `user-${i}-${'x'.repeat(100)}`), appointment)!.length).toBeLessThan(300);
    expect(key('group', ['alice', 'bob'])).toBeUndefined();
    expect(key('direct', ['bob', 'alice'])).toBe('UNIQUE#direct#alice#bob');
  });
});
