/**
 * The WebSocket API's `@connections` management API, as the handlers call it
 * with `@aws-sdk/client-apigatewaymanagementapi` (`WS_ENDPOINT`):
 * `POST /@connections/{id}` (PostToConnection, raw body), `GET`
 * (GetConnection) and `DELETE` (DeleteConnection), with or without a stage
 * prefix (`/prod/@connections/{id}`).
 *
 * Served on a port of its own, on 127.0.0.1, that only the handlers are told
 * (`WS_ENDPOINT`), never on the public gateway port: on AWS only callers with
 * `execute-api:ManageConnections` may push frames to a connection, and a
 * client of the local stack must not be able to forge server events into
 * someone else's connection either. Calls still need an `Authorization`
 * header (the SDK signs every call), but its SigV4 signature is not checked:
 * the local credentials are public, so checking it would protect nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeConnection, sendText, type ConnectionRegistry } from './connection-registry';
import { apiId } from './events';
import { drain, readBody, safeDecode, sendJson, splitUrl } from './http-io';
import { WS_MAX_MESSAGE_BYTES } from '../../functions/api-gateway';

const CONNECTIONS_PATH = /^(?:\/[^/@]+)?\/@connections\/([^/]+)$/;

/** Answer of an accepted POST (a flat header list: no per-request object on the fan-out's hot path). */
const POSTED_HEADERS = ['content-type', 'application/json', 'content-length', '0'];

export interface ConnectionsApiOptions {
  registry: ConnectionRegistry;
  logRequests: boolean;
  log: (line: string) => void;
}

/** The request listener of the `@connections` server. */
export function createConnectionsApi(options: ConnectionsApiOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { registry, log } = options;

  return async function manageConnection(req, res) {
    res.setHeader('apigw-requestid', apiId());
    const match = CONNECTIONS_PATH.exec(splitUrl(req.url ?? '/').path);
    if (!match) {
      await drain(req);
      return sendJson(res, 404, { message: 'Not Found' });
    }
    const connectionId = safeDecode(match[1]);
    // The real API only accepts SigV4-signed calls; the signature itself is not checked (see the module comment).
    if (!req.headers.authorization) {
      await drain(req);
      return errorReply(res, 403, 'ForbiddenException', 'Missing Authentication Token');
    }
    const open = registry.open(connectionId);
    switch ((req.method ?? 'GET').toUpperCase()) {
      case 'POST': {
        // The hot path of every fan-out: one per event and connection.
        const body = await readBody(req, WS_MAX_MESSAGE_BYTES);
        if (body === 'too_large') return errorReply(res, 413, 'PayloadTooLargeException', `Message too long: the limit is ${WS_MAX_MESSAGE_BYTES} bytes`);
        if (!open || !(await sendText(open, body))) return gone(res, connectionId);
        if (options.logRequests) log(`@connections POST ${connectionId} ${body.length}B`);
        res.writeHead(200, POSTED_HEADERS);
        res.end();
        return;
      }
      case 'GET':
        await drain(req);
        if (!open) return gone(res, connectionId);
        // JSON member names are those of the service model (the SDK maps them to ConnectedAt, Identity, LastActiveAt).
        return sendJson(res, 200, {
          connectedAt: new Date(open.connectedAt).toISOString(),
          identity: { sourceIp: open.sourceIp, userAgent: open.userAgent },
          lastActiveAt: new Date(open.lastActiveAt).toISOString(),
        });
      case 'DELETE':
        await drain(req);
        if (!open) return gone(res, connectionId);
        closeConnection(open, 1000, 'Connection deleted');
        res.writeHead(204);
        res.end();
        return;
      default:
        await drain(req);
        return sendJson(res, 404, { message: 'Not Found' });
    }
  };
}

function gone(res: ServerResponse, connectionId: string) {
  errorReply(res, 410, 'GoneException', `Connection ${connectionId} is gone`);
}

/** `@connections` errors: `{message}` with the exception name in `x-amzn-errortype`, as the SDK expects. */
function errorReply(res: ServerResponse, status: number, type: string, message: string) {
  sendJson(res, status, { message }, { 'x-amzn-errortype': type });
}
