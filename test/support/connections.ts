/**
 * A user's WebSocket connections in the local stack, for tests that cut them
 * from the server side as API Gateway would (the browser and the SDK never
 * learn their connection id).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { createDb } from '../../functions/data/client';
import { presenceFromItem } from '../../functions/data/connections';
import { presenceKey } from '../../functions/data/keys';
import type { StackInfo } from '../../local/launcher';

/**
 * The user's open WebSocket connection ids, read from their presence item
 * (`USER#<id>/PRESENCE`, one `c_<connectionId>` per connection) in the
 * stack's DynamoDB: the browser never learns its API Gateway connection id,
 * and this is where the service itself looks connections up.
 */
export async function connectionIdsOf(userId: string, stack: StackInfo = inject('stack')): Promise<string[]> {
  const db = createDb({ table: stack.tableName, endpoint: stack.dynamoEndpoint, region: stack.region, credentials: stack.credentials });
  const { Item } = await db.client.send(new GetCommand({ TableName: db.table, Key: presenceKey(userId), ConsistentRead: true }));
  const now = Math.floor(Date.now() / 1000);
  return presenceFromItem(userId, Item)
    .connections.filter((c) => c.expiresAt > now)
    .map((c) => c.connectionId);
}

/**
 * Closes a connection from the server side, as the service would: `DELETE
 * /@connections/{id}` on the gateway's management API (its own port, the
 * handlers' `WS_ENDPOINT`; it wants an Authorization header, not a valid
 * signature). Resolves with the status (204 closed, 410 already gone).
 */
export async function deleteConnection(connectionId: string): Promise<number> {
  const { connectionsUrl } = inject('stack');
  if (!connectionsUrl) throw new Error('The stack under test has no known @connections endpoint: start it with CONNECTIONS_PORT and set the same for the tests.');
  const res = await fetch(`${connectionsUrl}/@connections/${encodeURIComponent(connectionId)}`, {
    method: 'DELETE',
    headers: { authorization: 'local-test' },
  });
  await res.body?.cancel();
  return res.status;
}
