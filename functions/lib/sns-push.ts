/**
 * The `PushService` on Amazon SNS mobile push (SPEC §8).
 *
 * - `CreatePlatformEndpoint` on the platform's application (idempotent for
 *   the same token), with the user id as `CustomUserData`.
 * - `Publish` with `MessageStructure: "json"`, one payload per platform key:
 *   `APNS` / `APNS_SANDBOX` (`aps.alert`, `aps.badge`, `aps.thread-id` = the
 *   chat; the collapse id goes in the `AWS.SNS.MOBILE.APNS.COLLAPSE_ID`
 *   message attribute, which SNS sends as `apns-collapse-id`) and `GCM` (an
 *   FCM HTTP v1 message, `fcmV1Message`, with `android.collapse_key` = the
 *   chat and the badge as `notification_count`). Without a title or body
 *   (`PUSH_PREVIEW=none`) the push says only "New message".
 * - `EndpointDisabled` and `InvalidParameter` (a malformed or rejected
 *   token) answer `gone`, so the caller removes the device; `NotFound` (the
 *   endpoint was deleted, e.g. by the token's previous device giving way
 *   while this device's endpoint was being created, or by an operator)
 *   answers `missing`, so the caller creates it again; other errors throw.
 * - `CreatePlatformEndpoint` fails with `InvalidParameter` ("Endpoint … already
 *   exists with the same Token, but different attributes") when the token's
 *   endpoint still carries another user's `CustomUserData` (the token moved
 *   to another account on the same phone and the old endpoint's deletion
 *   has not happened or failed). AWS's documented remedy: take the ARN from
 *   the message, `SetEndpointAttributes` (this user, enabled) and use it.
 *
 * The SNS SDK loads on first use, like the other optional clients.
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import type { PushMessage, PushService } from '../domain/ports';
import type { PushPlatform } from '../domain/types';
import { logger } from './logger';
import { traced } from './tracer';

/** SNS's `MessageStructure: json` key per SPEC platform. */
export const SNS_PLATFORM_KEY: Record<PushPlatform, 'APNS' | 'APNS_SANDBOX' | 'GCM'> = { apns: 'APNS', apns_sandbox: 'APNS_SANDBOX', fcm: 'GCM' };

/** What an app shows when the payload carries no preview. */
export const GENERIC_BODY = 'New message';

/** The SNS `Message` (JSON per platform key) and message attributes of one push. */
export function snsPublishInput(platform: PushPlatform, m: PushMessage): { Message: string; MessageAttributes?: Record<string, { DataType: 'String'; StringValue: string }> } {
  const data = { chatId: m.chatId, messageId: m.messageId, seq: String(m.seq), mentioned: String(m.mentioned) };
  const body = m.body ?? GENERIC_BODY;
  if (platform === 'fcm') {
    const message = {
      fcmV1Message: {
        message: {
          notification: { ...(m.title ? { title: m.title } : {}), body },
          data,
          android: { collapse_key: m.chatId, notification: { notification_count: m.badge, tag: m.chatId } },
        },
      },
    };
    return { Message: JSON.stringify({ GCM: JSON.stringify(message) }) };
  }
  const aps = { alert: { ...(m.title ? { title: m.title } : {}), body }, badge: m.badge, sound: 'default', 'thread-id': m.chatId };
  return {
    Message: JSON.stringify({ [SNS_PLATFORM_KEY[platform]]: JSON.stringify({ aps, ...data }) }),
    MessageAttributes: { 'AWS.SNS.MOBILE.APNS.COLLAPSE_ID': { DataType: 'String', StringValue: m.chatId.slice(0, 64) } },
  };
}

/** SNS errors that mean "this endpoint will never deliver": remove the device. */
const GONE = new Set(['EndpointDisabled', 'EndpointDisabledException', 'InvalidParameter', 'InvalidParameterException']);
/** SNS errors that mean "no such endpoint": create it again. */
const MISSING = new Set(['NotFound', 'NotFoundException']);

/** The existing endpoint's ARN in CreatePlatformEndpoint's "already exists with the same Token, but different attributes" error, if it is that error. */
export function existingEndpointArn(error: unknown): string | undefined {
  const { name, message } = error as { name?: string; message?: string };
  if (name !== 'InvalidParameter' && name !== 'InvalidParameterException') return undefined;
  return /Endpoint (arn:aws[\w-]*:sns:\S+) already exists with the same [Tt]oken/.exec(message ?? '')?.[1];
}

export function createSnsPush(options: { applications: Partial<Record<PushPlatform, string>>; endpoint?: string; region?: string }): PushService {
  type Sdk = typeof import('@aws-sdk/client-sns');
  let loaded: Promise<{ client: SNSClient; sdk: Sdk }> | undefined;
  const sns = () =>
    (loaded ??= import('@aws-sdk/client-sns').then((sdk) => ({ client: traced(new sdk.SNSClient({ region: options.region, endpoint: options.endpoint })), sdk })));
  const platforms = (Object.keys(options.applications) as PushPlatform[]).filter((p) => options.applications[p]);
  return {
    platforms,
    async createEndpoint(platform, token, userId) {
      const arn = options.applications[platform];
      if (!arn) throw new Error(`No SNS platform application for ${platform}`);
      const { client, sdk } = await sns();
      try {
        const out = await client.send(new sdk.CreatePlatformEndpointCommand({ PlatformApplicationArn: arn, Token: token, CustomUserData: userId }));
        if (!out.EndpointArn) throw new Error('CreatePlatformEndpoint answered no EndpointArn');
        return out.EndpointArn;
      } catch (error) {
        const existing = existingEndpointArn(error);
        if (!existing) throw error;
        await client.send(new sdk.SetEndpointAttributesCommand({ EndpointArn: existing, Attributes: { CustomUserData: userId, Enabled: 'true', Token: token } }));
        return existing;
      }
    },
    async publish(endpointArn, platform, message) {
      const { client, sdk } = await sns();
      try {
        await client.send(new sdk.PublishCommand({ TargetArn: endpointArn, MessageStructure: 'json', ...snsPublishInput(platform, message) }));
        return 'sent';
      } catch (error) {
        if (GONE.has((error as Error).name)) return 'gone';
        if (MISSING.has((error as Error).name)) return 'missing';
        throw error;
      }
    },
    async deleteEndpoint(endpointArn) {
      try {
        const { client, sdk } = await sns();
        await client.send(new sdk.DeleteEndpointCommand({ EndpointArn: endpointArn }));
      } catch (error) {
        logger.warn('deleting an SNS endpoint failed', { error: (error as Error).name });
      }
    },
  };
}
