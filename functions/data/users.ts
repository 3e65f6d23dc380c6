/**
 * User directory entries: `PK = USER#<userId>`, `SK = PROFILE`; entries with
 * the `support` role are also on GSI2 `ROLE#support` / `<supportUntil, 10
 * digits>#<userId>` (the agents support chats are assigned to). The sort key
 * starts with the epoch second until which the role counts (`supportUntil`:
 * last seen with it in a token, or provisioned, plus the directory role TTL),
 * so the agent query's key condition leaves lapsed agents out without
 * reading them.
 *
 * Access patterns: get one user (GetItem), get many (BatchGetItem, ⌈n/100⌉
 * requests), provision (PutItem), record a caller seen with a token
 * (UpdateItem, at most once per user per container thanks to `seen`).
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Principal, UserRecord } from '../domain/types';
import { batchGet, type Db } from './client';

export const userKey = (userId: string) => ({ PK: `USER#${userId}`, SK: 'PROFILE' });

/** The role directory's sort key: lexicographic order is `supportUntil` order (10 digits last until 2286). */
export const roleSortKey = (userId: string, supportUntil: number) => `${String(Math.max(0, Math.floor(supportUntil))).padStart(10, '0')}#${userId}`;

/** SET/REMOVE clauses keeping the role directory key in step with `roles`. */
function roleIndex(userId: string, roles: readonly string[], supportUntil: number) {
  return roles.includes('support')
    ? {
        set: ', GSI2PK = :rpk, GSI2SK = :rsk, supportUntil = :until',
        remove: '',
        values: { ':rpk': 'ROLE#support', ':rsk': roleSortKey(userId, supportUntil), ':until': supportUntil },
      }
    : { set: '', remove: ' REMOVE GSI2PK, GSI2SK, supportUntil', values: {} };
}

export function fromItem(item: Record<string, unknown>): UserRecord {
  return {
    id: item.id as string,
    name: item.name as string,
    roles: (item.roles as UserRecord['roles']) ?? ['user'],
    email: (item.email ?? undefined) as string | undefined,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    supportUntil: item.supportUntil as number | undefined,
  };
}

export async function getUser(db: Db, userId: string): Promise<UserRecord | undefined> {
  const out = await db.client.send(new GetCommand({ TableName: db.table, Key: userKey(userId) }));
  return out.Item ? fromItem(out.Item) : undefined;
}

export async function getUsers(db: Db, userIds: readonly string[]): Promise<Map<string, UserRecord>> {
  const items = await batchGet(db, userIds.map(userKey));
  return new Map(items.map((item) => [item.id as string, fromItem(item)]));
}

export async function putUser(db: Db, user: UserRecord): Promise<UserRecord> {
  const role = roleIndex(user.id, user.roles, user.supportUntil ?? Math.floor(Date.parse(user.updatedAt) / 1000) + DEFAULT_ROLE_SECONDS);
  const out = await db.client.send(
    new UpdateCommand({
      TableName: db.table,
      Key: userKey(user.id),
      UpdateExpression: `SET entity = :e, id = :id, #name = :name, #roles = :roles, email = :email, updatedAt = :now, createdAt = if_not_exists(createdAt, :now)${role.set}${role.remove}`,
      ExpressionAttributeNames: { '#name': 'name', '#roles': 'roles' },
      ExpressionAttributeValues: { ':e': 'user', ':id': user.id, ':name': user.name, ':roles': user.roles, ':email': user.email ?? null, ':now': user.updatedAt, ...role.values },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return fromItem(out.Attributes!);
}

/** Callers already recorded by this container, with the name/roles written, so repeat requests cost no write. */
const seen = new Map<string, string>();

/** How long a `support` role counts when the caller gives no `supportUntil` (the default `DIRECTORY_ROLE_TTL_SECONDS`). */
export const DEFAULT_ROLE_SECONDS = 24 * 60 * 60;

/**
 * Records a caller seen with a token. A `support` role counts until
 * `supportUntil` (epoch seconds; default a day after `now`); the write is
 * repeated when the recorded value is more than half its lifetime old, so
 * an active agent stays in the pool at the cost of about one write per
 * agent per half lifetime and container.
 */
export async function touchUser(db: Db, principal: Principal, now: string, until?: number): Promise<void> {
  const nowSeconds = Math.floor(Date.parse(now) / 1000);
  const supportUntil = until ?? nowSeconds + DEFAULT_ROLE_SECONDS;
  const refresh = principal.roles.includes('support') ? Math.floor(nowSeconds / Math.max(1, Math.ceil((supportUntil - nowSeconds) / 2))) : '';
  const signature = `${db.table}|${principal.name}|${principal.roles.join(',')}|${principal.email ?? ''}|${refresh}`;
  if (seen.get(principal.userId) === signature) return;
  const role = roleIndex(principal.userId, principal.roles, supportUntil);
  await db.client.send(
    new UpdateCommand({
      TableName: db.table,
      Key: userKey(principal.userId),
      UpdateExpression: `SET entity = :e, id = :id, #name = :name, #roles = :roles, email = :email, updatedAt = :now, createdAt = if_not_exists(createdAt, :now)${role.set}${role.remove}`,
      ExpressionAttributeNames: { '#name': 'name', '#roles': 'roles' },
      ExpressionAttributeValues: {
        ...role.values,
        ':e': 'user',
        ':id': principal.userId,
        ':name': principal.name,
        ':roles': [...principal.roles],
        ':email': principal.email ?? null,
        ':now': now,
      },
    }),
  );
  if (seen.size > 10_000) seen.clear();
  seen.set(principal.userId, signature);
}

