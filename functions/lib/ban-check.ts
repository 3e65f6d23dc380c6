/**
 * SPEC §9: 403 `banned` on every authenticated route, without a DynamoDB
 * read per request. The container remembers what it read of each caller's
 * ban for `BAN_CHECK_SECONDS` (`Limits.banCheckSeconds`); the first request of a caller in a period
 * reads their moderation item (eventually consistent GetItem, 0.5 RCU) in
 * parallel with the directory write (`recordCaller`), so it adds no round
 * trip either. Sends and `$connect` do not rely on this: they read the
 * item themselves, strongly consistently (`domain/messages.ts`,
 * `domain/connections.ts`). See `domain/bans.ts` for the trade-off.
 */
import { BannedError } from '../domain/errors';
import type { DomainContext } from '../domain/context';

const checked = new Map<string, { banned: boolean; until: number }>();
const MAX_ENTRIES = 10_000;

/** Throws 403 `banned` when the caller is banned, reading at most once per caller and period. */
export async function bannedCheck(ctx: DomainContext, userId: string): Promise<void> {
  const now = Date.now();
  let entry = checked.get(userId);
  if (!entry || entry.until <= now) {
    const state = await ctx.repo.moderation.state(userId);
    if (checked.size >= MAX_ENTRIES) checked.clear();
    entry = { banned: state.ban !== undefined, until: now + ctx.limits.banCheckSeconds * 1000 };
    checked.set(userId, entry);
  }
  if (entry.banned) throw new BannedError();
}

/** Forgets what this container knows of a user's ban (after banning or lifting it here). */
export function forgetBan(userId: string): void {
  checked.delete(userId);
}
