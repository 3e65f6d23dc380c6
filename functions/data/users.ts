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
 * requests), provision (UpdateItem), record a caller seen with a token
 * (UpdateItem, at most once per user per container thanks to `seen`).
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UserStore } from '../domain/ports';
import type { UserRecord } from '../domain/types';
import { batchGet, isConditionFailure, type Db } from './client';
import { roleIndexKey, userKey } from './keys';

/** SPEC §10: an erased user's profile name. */
export const DELETED_USER_NAME = 'Deleted user';

/** How long a `support` role counts when the caller gives no `supportUntil` (the default `DIRECTORY_ROLE_TTL_SECONDS`). */
export const DEFAULT_ROLE_SECONDS = 24 * 60 * 60;

/** SET/REMOVE clauses keeping the role directory key (and `supportUntil`) in step with `roles`. */
function roleIndex(userId: string, roles: readonly string[], supportUntil: number) {
  if (!roles.includes('support')) return { set: '', remove: ' REMOVE GSI2PK, GSI2SK, supportUntil', values: {} };
  const { GSI2PK, GSI2SK } = roleIndexKey('support', userId, supportUntil);
  return { set: ', GSI2PK = :rpk, GSI2SK = :rsk, supportUntil = :until', remove: '', values: { ':rpk': GSI2PK, ':rsk': GSI2SK, ':until': supportUntil } };
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
    ...(item.deleted === true ? { deleted: true } : {}),
  };
}

/** Callers this container found not erased, and when (epoch ms): `isErased` trusts that for `maxAgeSeconds`. */
const notErased = new Map<string, number>();

/** Callers already recorded by this container, with the name/roles written, so repeat requests cost no write. */
const seen = new Map<string, { signature: string; name: string }>();

/** The directory entry's fields as one UpdateItem (`createdAt` written only by the first). */
function writeUser(
  db: Db,
  user: Pick<UserRecord, 'id' | 'name' | 'email' | 'createdAt' | 'supportUntil'> & { roles: readonly string[] },
  now: string,
  /** Keep an existing entry's name (a token without a `name` claim, issue 19); a new entry gets `user.name`. */
  keepName = false,
) {
  const role = roleIndex(user.id, user.roles, user.supportUntil ?? Math.floor(Date.parse(now) / 1000) + DEFAULT_ROLE_SECONDS);
  return {
    TableName: db.table,
    Key: userKey(user.id),
    UpdateExpression: `SET entity = :e, id = :id, #name = ${keepName ? 'if_not_exists(#name, :name)' : ':name'}, #roles = :roles, email = :email, updatedAt = :now, createdAt = if_not_exists(createdAt, :created)${role.set}${role.remove}`,
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

    async erase(userId, at) {
      await db.client.send(
        new UpdateCommand({
          TableName: db.table,
          Key: userKey(userId),
          UpdateExpression: 'SET entity = :e, id = :id, #name = :name, deleted = :true, erasedAt = if_not_exists(erasedAt, :at), updatedAt = :at, #roles = :roles REMOVE email, GSI2PK, GSI2SK, supportUntil',
          ExpressionAttributeNames: { '#name': 'name', '#roles': 'roles' },
          ExpressionAttributeValues: { ':e': 'user', ':id': userId, ':name': DELETED_USER_NAME, ':true': true, ':at': at, ':roles': ['user'] },
        }),
      );
      seen.delete(userId);
      notErased.delete(userId);
    },

    async isErased(userId, maxAgeSeconds = 0) {
      const checkedAt = notErased.get(userId);
      if (checkedAt !== undefined && Date.now() - checkedAt < maxAgeSeconds * 1000) return false;
      const out = await db.client.send(new GetCommand({ TableName: db.table, Key: userKey(userId), ProjectionExpression: 'deleted' }));
      const erased = out.Item?.deleted === true;
      if (!erased) {
        if (notErased.size > 10_000) notErased.clear();
        notErased.set(userId, Date.now());
      }
      return erased;
    },

    async put(user) {
      seen.delete(user.id);
      const out = await db.client.send(new UpdateCommand({ ...writeUser(db, user, user.updatedAt), ReturnValues: 'ALL_NEW' }));
      return fromItem(out.Attributes!);
    },

    /**
     * A `support` role counts until `supportUntil` (default a day after
     * `now`); the write is repeated when the recorded value is more than half
     * its lifetime old, so an active agent stays in the pool at the cost of
     * about one write per agent per half lifetime and container.
     */
    async touch(principal, now, until) {
      const nowSeconds = Math.floor(Date.parse(now) / 1000);
      const supportUntil = until ?? nowSeconds + DEFAULT_ROLE_SECONDS;
      const refresh = principal.roles.includes('support') ? Math.floor(nowSeconds / Math.max(1, Math.ceil((supportUntil - nowSeconds) / 2))) : '';
      const signature = `${db.table}|${principal.name}|${principal.roles.join(',')}|${principal.email ?? ''}|${refresh}`;
      const cached = seen.get(principal.userId);
      if (cached?.signature === signature) return cached.name;
      const entry = { id: principal.userId, name: principal.name, roles: principal.roles, email: principal.email, createdAt: now, supportUntil };
      let name: string;
      try {
        // Never brings an erased entry back (SPEC §10): the caller is refused by `isErased` instead. ALL_NEW returns
        // the directory's name in the same request (no extra read, same write units).
        const out = await db.client.send(
          new UpdateCommand({ ...writeUser(db, entry, now, principal.nameFromToken === false), ConditionExpression: 'attribute_not_exists(deleted)', ReturnValues: 'ALL_NEW' }),
        );
        name = (out.Attributes?.name as string | undefined) ?? principal.name;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return undefined;
      }
      if (seen.size > 10_000) seen.clear();
      // A rename by PUT /v1/users reaches this container's callers when their token or roles change, or the container is replaced.
      seen.set(principal.userId, { signature, name });
      return name;
    },
  };
}
