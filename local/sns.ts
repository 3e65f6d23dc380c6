/**
 * A stand-in for Amazon SNS mobile push, served by the gateway under
 * `/dev/sns`, so the local stack runs the same push worker as AWS
 * (`functions/events/push.ts`) with the real `@aws-sdk/client-sns` (the
 * AWS query protocol: form-encoded `Action=…`, XML answers):
 * `CreatePlatformEndpoint`, `Publish` (to an endpoint), `SetEndpointAttributes`
 * and `DeleteEndpoint`.
 *
 * Every publish is recorded, one per device, at `GET /dev/pushes` (the last
 * 200, oldest first; `DELETE` clears them): what the stack would have sent
 * to APNs or FCM, with the parsed payload. A token containing `disabled`
 * behaves like an endpoint SNS disabled (an uninstalled app):
 * `Publish` answers `EndpointDisabled`, so the worker removes the device.
 * Like SNS, `CreatePlatformEndpoint` for a token that already has an
 * endpoint with other attributes (another user's `CustomUserData`) answers
 * `InvalidParameter`, so an endpoint left behind by a device that went away
 * shows; the push worker then takes the endpoint over with
 * `SetEndpointAttributes`, as on AWS. `Publish` to an endpoint that does not
 * exist answers `NotFound`. `GET /dev/sns/endpoints` lists the endpoints
 * that exist.
 */
import { randomUUID } from 'node:crypto';
import type { DevRequest, DevResponse, DevRoute } from './gateway/dev-routes';

const KEEP = 200;

export interface RecordedPush {
  at: string;
  endpointArn: string;
  /** SNS's platform key: APNS, APNS_SANDBOX or GCM. */
  platform: string;
  token: string;
  userId?: string;
  /** The platform payload, parsed (`aps…` for APNs, `fcmV1Message…` for FCM). */
  payload: unknown;
  attributes: Record<string, string>;
}

export interface LocalSns {
  pushes(): RecordedPush[];
  /** `POST /dev/sns[/]`, `GET|DELETE /dev/pushes`, `GET /dev/sns/endpoints`. */
  routes: DevRoute[];
}

const xml = (status: number, body: string): DevResponse => ({ status, headers: { 'content-type': 'text/xml' }, body });
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const ok = (action: string, result: string) =>
  xml(200, `<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`);
const fault = (status: number, code: string, message: string) =>
  xml(status, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);

export function createLocalSns(): LocalSns {
  const endpoints = new Map<string, { platform: string; token: string; userId?: string }>();
  const byToken = new Map<string, string>();
  const stored: RecordedPush[] = [];

  function handle(req: DevRequest): DevResponse {
    const form = new URLSearchParams(req.text());
    const action = form.get('Action');
    if (action === 'CreatePlatformEndpoint') {
      const app = form.get('PlatformApplicationArn') ?? '';
      const token = form.get('Token') ?? '';
      const match = /^arn:[^:]+:sns:([^:]+):(\d+):app\/(APNS|APNS_SANDBOX|GCM)\/(.+)$/.exec(app);
      if (!match || !token) return fault(400, 'InvalidParameter', 'Invalid parameter: PlatformApplicationArn or Token');
      // SNS answers the existing endpoint for a token already registered with the same attributes.
      const key = `${app}|${token}`;
      let arn = byToken.get(key);
      const userId = form.get('CustomUserData') ?? undefined;
      if (arn && endpoints.get(arn)?.userId !== userId) {
        return fault(400, 'InvalidParameter', `Invalid parameter: Token Reason: Endpoint ${arn} already exists with the same Token, but different attributes.`);
      }
      if (!arn) {
        arn = `arn:aws:sns:${match[1]}:${match[2]}:endpoint/${match[3]}/${match[4]}/${randomUUID()}`;
        byToken.set(key, arn);
        endpoints.set(arn, { platform: match[3], token, userId });
      }
      return ok('CreatePlatformEndpoint', `<EndpointArn>${arn}</EndpointArn>`);
    }
    if (action === 'Publish') {
      const arn = form.get('TargetArn') ?? '';
      const endpoint = endpoints.get(arn);
      if (!endpoint) return fault(404, 'NotFound', 'Endpoint does not exist');
      if (endpoint.token.includes('disabled')) return fault(400, 'EndpointDisabled', 'Endpoint is disabled');
      let payload: unknown;
      try {
        const message = JSON.parse(form.get('Message') ?? '') as Record<string, string>;
        payload = JSON.parse(message[endpoint.platform] ?? message.default ?? 'null');
      } catch {
        return fault(400, 'InvalidParameter', 'Invalid parameter: Message Structure - JSON message body failed to parse');
      }
      const attributes: Record<string, string> = {};
      for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
        attributes[form.get(`MessageAttributes.entry.${i}.Name`)!] = form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '';
      }
      stored.push({ at: new Date().toISOString(), endpointArn: arn, platform: endpoint.platform, token: endpoint.token, userId: endpoint.userId, payload, attributes });
      if (stored.length > KEEP) stored.splice(0, stored.length - KEEP);
      return ok('Publish', `<MessageId>${randomUUID()}</MessageId>`);
    }
    if (action === 'SetEndpointAttributes') {
      const arn = form.get('EndpointArn') ?? '';
      const endpoint = endpoints.get(arn);
      if (!endpoint) return fault(404, 'NotFound', 'Endpoint does not exist');
      for (let i = 1; form.has(`Attributes.entry.${i}.key`); i++) {
        const value = form.get(`Attributes.entry.${i}.value`) ?? '';
        const key = form.get(`Attributes.entry.${i}.key`);
        if (key === 'CustomUserData') endpoint.userId = value;
        else if (key === 'Token') endpoint.token = value;
      }
      return xml(200, `<SetEndpointAttributesResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></SetEndpointAttributesResponse>`);
    }
    if (action === 'DeleteEndpoint') {
      const arn = form.get('EndpointArn') ?? '';
      const endpoint = endpoints.get(arn);
      if (endpoint) {
        endpoints.delete(arn);
        for (const [key, value] of byToken) if (value === arn) byToken.delete(key);
      }
      return xml(200, `<DeleteEndpointResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></DeleteEndpointResponse>`);
    }
    return fault(400, 'InvalidAction', `The local SNS stand-in supports CreatePlatformEndpoint, Publish, SetEndpointAttributes and DeleteEndpoint, not ${action ?? 'this request'}`);
  }

  return {
    pushes: () => [...stored],
    routes: [
      { method: 'POST', path: '/dev/sns', handler: handle },
      { method: 'POST', path: '/dev/sns/', handler: handle },
      { method: 'GET', path: '/dev/pushes', handler: () => ({ body: { pushes: stored } }) },
      { method: 'GET', path: '/dev/sns/endpoints', handler: () => ({ body: { endpoints: [...endpoints].map(([endpointArn, e]) => ({ endpointArn, ...e })) } }) },
      {
        method: 'DELETE',
        path: '/dev/pushes',
        handler: () => {
          stored.length = 0;
          return { status: 204 };
        },
      },
    ],
  };
}
