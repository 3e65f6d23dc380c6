/**
 * User directory entries: `PK = USER#<userId>`, `SK = PROFILE`; entries with
 * the `support` role are also on GSI2 `ROLE#support` / `USER#<userId>` (the
 * agents support chats are assigned to).
 *
 * Access patterns: get one user (GetItem), get many (BatchGetItem, ⌈n/100⌉
 * requests), provision (PutItem), record a caller seen with a token
 * (UpdateItem, at most once per user per container thanks to `seen`).
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Principal, UserRecord } from '../domain/types';
import { batchGet, type Db } from './client';

export const userKey = (userId: string) => ({ PK: `USER#${userId}`, SK: 'PROFILE' });

/** SET/REMOVE clauses keeping the role directory key in step with `roles`. */
function roleIndex(userId: string, roles: readonly string[]) {
  return roles.includes('support')
    ? { set: ', GSI2PK = :rpk, GSI2SK = :rsk', remove: '', values: { ':rpk': 'ROLE#support', ':rsk': `USER#${userId}` } }
    : { set: '', remove: ' REMOVE GSI2PK, GSI2SK', values: {} };
}

export function fromItem(item: Record<string, unknown>): UserRecord {
  return {
    id: item.id as string,
    name: item.name as string,
    roles: (item.roles as UserRecord['roles']) ?? ['user'],
    email: (item.email ?? undefined) as string | undefined,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
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
  const role = roleIndex(user.id, user.roles);
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

export async function touchUser(db: Db, principal: Principal, now: string): Promise<void> {
  const signature = `${db.table}|${principal.name}|${principal.roles.join(',')}|${principal.email ?? ''}`;
  if (seen.get(principal.userId) === signature) return;
  const role = roleIndex(principal.userId, principal.roles);
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

