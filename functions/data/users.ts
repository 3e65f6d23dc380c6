/**
 * User directory entries: `PK = USER#<userId>`, `SK = PROFILE`; entries with
 * the `support` role are also on GSI2 `ROLE#support` / `USER#<userId>` (the
 * agents support chats are assigned to).
 *
 * Access patterns: get one user (GetItem), get many (BatchGetItem, ⌈n/100⌉
 * requests), provision (UpdateItem), record a caller seen with a token
 * (UpdateItem, at most once per user per container thanks to `seen`).
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UserStore } from '../domain/ports';
import type { UserRecord } from '../domain/types';
import { batchGet, type Db } from './client';
import { roleIndexKey, userKey } from './keys';

/** SET/REMOVE clauses keeping the role directory key in step with `roles`. */
function roleIndex(userId: string, roles: readonly string[]) {
  if (!roles.includes('support')) return { set: '', remove: ' REMOVE GSI2PK, GSI2SK', values: {} };
  const { GSI2PK, GSI2SK } = roleIndexKey('support', userId);
  return { set: ', GSI2PK = :rpk, GSI2SK = :rsk', remove: '', values: { ':rpk': GSI2PK, ':rsk': GSI2SK } };
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

/** Callers already recorded by this container, with the name/roles written, so repeat requests cost no write. */
const seen = new Map<string, string>();

/** The directory entry's fields as one UpdateItem (`createdAt` written only by the first). */
function writeUser(db: Db, user: Pick<UserRecord, 'id' | 'name' | 'email' | 'createdAt'> & { roles: readonly string[] }, now: string) {
  const role = roleIndex(user.id, user.roles);
  return {
    TableName: db.table,
    Key: userKey(user.id),
    UpdateExpression: `SET entity = :e, id = :id, #name = :name, #roles = :roles, email = :email, updatedAt = :now, createdAt = if_not_exists(createdAt, :created)${role.set}${role.remove}`,
    ExpressionAttributeNames: { '#name': 'name', '#roles': 'roles' },
    ExpressionAttributeValues: {
      ...role.values,
      ':e': 'user',
      ':id': user.id,
      ':name': user.name,
      ':roles': [...user.roles],
      ':email': user.email ?? null,
      ':now': now,
      ':created': user.createdAt,
    },
  };
}

/** The `UserStore` port on one table. */
export function userStore(db: Db): UserStore {
  return {
    async get(userId) {
      const out = await db.client.send(new GetCommand({ TableName: db.table, Key: userKey(userId) }));
      return out.Item ? fromItem(out.Item) : undefined;
    },

    async getMany(userIds) {
      const items = await batchGet(db, userIds.map(userKey));
      return new Map(items.map((item) => [item.id as string, fromItem(item)]));
    },

    async put(user) {
      const out = await db.client.send(new UpdateCommand({ ...writeUser(db, user, user.updatedAt), ReturnValues: 'ALL_NEW' }));
      return fromItem(out.Attributes!);
    },

    async touch(principal, now) {
      const signature = `${db.table}|${principal.name}|${principal.roles.join(',')}|${principal.email ?? ''}`;
      if (seen.get(principal.userId) === signature) return;
      const entry = { id: principal.userId, name: principal.name, roles: principal.roles, email: principal.email, createdAt: now };
      await db.client.send(new UpdateCommand(writeUser(db, entry, now)));
      if (seen.size > 10_000) seen.clear();
      seen.set(principal.userId, signature);
    },
  };
}
