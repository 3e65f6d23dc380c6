/**
 * Push devices (SPEC §8).
 *
 * - Device: `PK = USER#<userId>`, `SK = DEVICE#<deviceId>`: platform, token,
 *   `registeredAt`, the SNS `endpointArn` once created. A user's devices are
 *   one Query of their partition (≤ 10 items).
 * - Token pointer: `PK = PUSHTOKEN#<platform>#<SHA-256 of the token>`,
 *   `SK = TOKEN`: the device holding the token. Registering a token another
 *   device holds moves it: that device is deleted in the same transaction,
 *   conditional on the pointer still naming it, so two users racing for one
 *   token leave exactly one holder.
 */
import { DeleteCommand, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeviceStore } from '../domain/ports';
import type { DeviceRecord } from '../domain/types';
import { applied, queryAll, type Db } from './client';
import { deviceKey, PREFIX, pushTokenKey, userPk } from './keys';

export function toItem(d: DeviceRecord) {
  return { ...deviceKey(d.userId, d.deviceId), entity: 'device', ...d };
}

export function fromItem(item: Record<string, unknown>): DeviceRecord {
  return {
    userId: item.userId as string,
    deviceId: item.deviceId as string,
    platform: item.platform as DeviceRecord['platform'],
    token: item.token as string,
    registeredAt: item.registeredAt as string,
    endpointArn: item.endpointArn as string | undefined,
  };
}

const pointerItem = (d: DeviceRecord) => ({ ...pushTokenKey(d.platform, d.token), entity: 'pushToken', holderUserId: d.userId, holderDeviceId: d.deviceId });
const sameKey = (a: { PK: string; SK: string }, b: { PK: string; SK: string }) => a.PK === b.PK && a.SK === b.SK;

/** The `DeviceStore` port on one table. */
export function deviceStore(db: Db): DeviceStore {
  return {
    async list(userId) {
      const items = await queryAll(db, {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': userPk(userId), ':prefix': PREFIX.device },
        ConsistentRead: true,
      });
      return items.map(fromItem);
    },

    async get(userId, deviceId) {
      const out = await db.client.send(new GetCommand({ TableName: db.table, Key: deviceKey(userId, deviceId), ConsistentRead: true }));
      return out.Item ? fromItem(out.Item) : undefined;
    },

    async holderOf(platform, token) {
      const out = await db.client.send(new GetCommand({ TableName: db.table, Key: pushTokenKey(platform, token), ConsistentRead: true }));
      return out.Item ? { userId: out.Item.holderUserId as string, deviceId: out.Item.holderDeviceId as string } : undefined;
    },

    /** One TransactWriteItems: the device, its pointer (conditional on the holder read), and every replaced device with its pointer. */
    async register(device, remove, holder) {
      const pointer = pointerItem(device);
      const deviceItemKey = deviceKey(device.userId, device.deviceId);
      const actions: object[] = [
        { Put: { TableName: db.table, Item: toItem(device) } },
        {
          Put: {
            TableName: db.table,
            Item: pointer,
            ...(holder
              ? { ConditionExpression: 'holderUserId = :u AND holderDeviceId = :d', ExpressionAttributeValues: { ':u': holder.userId, ':d': holder.deviceId } }
              : { ConditionExpression: 'attribute_not_exists(PK)' }),
          },
        },
      ];
      const seen = [deviceItemKey, { PK: pointer.PK, SK: pointer.SK }];
      for (const old of remove) {
        const keyOfDevice = deviceKey(old.userId, old.deviceId);
        if (!seen.some((k) => sameKey(k, keyOfDevice))) {
          actions.push({ Delete: { TableName: db.table, Key: keyOfDevice } });
          seen.push(keyOfDevice);
        }
        const keyOfPointer = pushTokenKey(old.platform, old.token);
        if (!seen.some((k) => sameKey(k, keyOfPointer))) {
          actions.push({
            Delete: {
              TableName: db.table,
              Key: keyOfPointer,
              // Only the pointer that still names the removed device; one another device took is theirs.
              ConditionExpression: 'attribute_not_exists(PK) OR (holderUserId = :u AND holderDeviceId = :d)',
              ExpressionAttributeValues: { ':u': old.userId, ':d': old.deviceId },
            },
          });
          seen.push(keyOfPointer);
        }
      }
      return applied(db.client.send(new TransactWriteCommand({ TransactItems: actions as never })));
    },

    async remove(userId, deviceId) {
      const out = await db.client.send(new DeleteCommand({ TableName: db.table, Key: deviceKey(userId, deviceId), ReturnValues: 'ALL_OLD' }));
      if (!out.Attributes) return undefined;
      const device = fromItem(out.Attributes);
      await applied(
        db.client.send(
          new DeleteCommand({
            TableName: db.table,
            Key: pushTokenKey(device.platform, device.token),
            ConditionExpression: 'holderUserId = :u AND holderDeviceId = :d',
            ExpressionAttributeValues: { ':u': userId, ':d': deviceId },
          }),
        ),
      );
      return device;
    },

    async setEndpoint(userId, deviceId, token, endpointArn) {
      await applied(
        db.client.send(
          new UpdateCommand({
            TableName: db.table,
            Key: deviceKey(userId, deviceId),
            UpdateExpression: 'SET endpointArn = :arn',
            ConditionExpression: 'attribute_exists(PK) AND #t = :token',
            ExpressionAttributeNames: { '#t': 'token' },
            ExpressionAttributeValues: { ':arn': endpointArn, ':token': token },
          }),
        ),
      );
    },
  };
}
