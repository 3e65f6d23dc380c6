/**
 * SPEC §9 blocking: `PUT /v1/me/blocks/{userId}` (204), `DELETE …` (204),
 * `GET /v1/me/blocks` → `{users: [{id, name, blockedAt}]}`.
 *
 * While either of two users blocks the other:
 * - neither can create a direct chat with the other nor send into their
 *   direct chat (`POST /v1/messages` included): 403 `blocked`
 *   (`checkDirectAllowed`);
 * - typing and presence between them stop (`connections.ts`);
 * - in groups and support chats the blocker sees the blocked user's
 *   messages as placeholders (`hidden.ts`): live (`hide` on delivery), in
 *   lists and search (`listMessages`), in sync, and in reply previews; and
 *   is never notified of them (SPEC §8: `blockersOf`).
 * A block is never shown to the blocked user other than by the 403.
 *
 * Cost: the blocked user's moderation item lists their blockers
 * (`ModerationState.blockedBy`), so a send learns every blocker with one
 * GetItem of the sender's own item, in the same round trip as the send's
 * other reads, whatever the chat's size; a list reads the caller's item
 * once (`blocking`).
 */
import { BadRequestError, BlockedError, NotFoundError } from './errors';
import type { DomainContext } from './context';
import { takeSlot, withSlot } from './limits';
import type { ChatRecord, ModerationState, Principal } from './types';

/** `PUT /v1/me/blocks/{userId}`: idempotent; 400 for oneself, 404 for an unknown user; a `writes` slot (SPEC §5). */
export async function blockUser(ctx: DomainContext, principal: Principal, userId: string): Promise<void> {
  if (userId === principal.userId) throw new BadRequestError('You cannot block yourself.');
  if (!(await withSlot(ctx, principal.userId, 'writes', ctx.repo.users.get(userId)))) throw new NotFoundError('User not found.');
  await ctx.repo.moderation.block(principal.userId, userId, ctx.now().toISOString());
}

/** `DELETE /v1/me/blocks/{userId}`: idempotent (unblocking someone not blocked is fine). */
export async function unblockUser(ctx: DomainContext, principal: Principal, userId: string): Promise<void> {
  await takeSlot(ctx, principal.userId, 'writes');
  await ctx.repo.moderation.unblock(principal.userId, userId);
}

/** `GET /v1/me/blocks`: the users the caller blocks, oldest block first, names from the directory. */
export async function listBlocks(ctx: DomainContext, principal: Principal) {
  const blocks = await ctx.repo.moderation.blocks(principal.userId);
  const users = blocks.length > 0 ? await ctx.repo.users.getMany(blocks.map((b) => b.blockedId)) : new Map();
  return { users: blocks.map((b) => ({ id: b.blockedId, name: users.get(b.blockedId)?.name ?? b.blockedId, blockedAt: b.blockedAt })) };
}

/**
 * SPEC §8/§9 hook for notifications: the users who block `senderId` (they
 * are never notified of the sender's messages). One GetItem; a send already
 * has this list (`ModerationState.blockedBy`) and passes it on as
 * `hide.sender`, so call this only where no state was read.
 */
export async function blockersOf(ctx: DomainContext, senderId: string): Promise<string[]> {
  return (await ctx.repo.moderation.state(senderId)).blockedBy;
}

/** Whether either user blocks the other, from one of the two users' state. */
export function blockedBetween(state: Pick<ModerationState, 'blockedBy' | 'blocking'>, otherId: string): boolean {
  return state.blockedBy.includes(otherId) || state.blocking.includes(otherId);
}

/** SPEC §9: 403 `blocked` in a direct chat when either participant blocks the other (`state`: the caller's). */
export function checkDirectAllowed(chat: Pick<ChatRecord, 'type' | 'participantIds'>, state: Pick<ModerationState, 'userId' | 'blockedBy' | 'blocking'>): void {
  if (chat.type !== 'direct') return;
  const other = chat.participantIds?.find((id) => id !== state.userId);
  if (other && blockedBetween(state, other)) throw new BlockedError();
}

/** The users whose messages the caller sees as placeholders (one GetItem of the caller's moderation item). */
export async function blockedByViewer(ctx: DomainContext, principal: Principal): Promise<Set<string>> {
  return new Set((await ctx.repo.moderation.state(principal.userId)).blocking);
}
