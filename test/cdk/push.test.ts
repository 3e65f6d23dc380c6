/**
 * SPEC §8 push wiring in the template, with and without push credentials:
 * no context = only the EventBridge event (no push worker, rule or SNS
 * grant); `pushPlatformApplications` = the push worker behind a rule on the
 * notification bus with a dead-letter queue, SNS grants on exactly those
 * applications and their endpoints, cdk-nag clean; `pushPreview` reaches
 * every function.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { ChatStack } from '../../lib/chat-stack';
import { asArray, flatten, Synth } from './template';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const outRoot = mkdtempSync(path.join(tmpdir(), 'chat-cdk-push-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

const APNS = 'arn:aws:sns:eu-west-1:123456789012:app/APNS/chat-ios';
const FCM = 'arn:aws:sns:eu-west-1:123456789012:app/GCM/chat-android';

function build(context: Record<string, unknown> = {}) {
  const app = new App({ outdir: mkdtempSync(path.join(outRoot, 'cdk.out-')), context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new ChatStack(app, 'PushChat');
  return { app, stack, synth: Synth.of(stack) };
}

const pushFunctions = (s: Synth) => s.ofType('AWS::Lambda::Function').filter(([, r]) => r.Properties?.Description === 'EventBridge chat.message.offline');
describe('push wiring', () => {
  it('without push credentials: the event only (no worker, rule or SNS grant); PUSH_PREVIEW=full', () => {
    const { synth } = build();
    expect(pushFunctions(synth)).toEqual([]);
    // Scheduled rules (the report SLA) are not push wiring: no rule listens on the bus.
    expect(synth.ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern)).toEqual([]);
    const grants = synth
      .ofType('AWS::IAM::Policy')
      .flatMap(([, p]) => asArray(p.Properties.PolicyDocument.Statement))
      .flatMap((st: any) => asArray(st.Action))
      .filter((a: string) => /^sns:(CreatePlatformEndpoint|DeleteEndpoint)$/.test(a));
    expect(grants).toEqual([]);
    for (const [, fn] of synth.chatFunctions()) expect(fn.Properties.Environment.Variables.PUSH_PREVIEW).toBe('full');
  }, 120_000);

  it('with pushPlatformApplications: a worker behind a rule on the bus, a DLQ, SNS grants on those applications only', () => {
    const { synth } = build({ pushPlatformApplications: JSON.stringify({ apns: APNS, fcm: FCM }), pushPreview: 'none' });
    const [[fnId, fn]] = pushFunctions(synth);
    expect(fn.Properties.Environment.Variables).toMatchObject({ PUSH_APNS_ARN: APNS, PUSH_FCM_ARN: FCM, PUSH_PREVIEW: 'none' });
    expect(fn.Properties.Environment.Variables.PUSH_APNS_SANDBOX_ARN).toBeUndefined();

    const [, rule] = synth.only('AWS::Events::Rule', (r) => r.Properties.EventPattern !== undefined);
    expect(rule.Properties.EventPattern).toEqual({ source: ['chat'], 'detail-type': ['chat.message.offline'] });
    expect(flatten(rule.Properties.EventBusName)).toMatch(/NotificationBus/);
    const [target] = rule.Properties.Targets;
    expect(flatten(target.Arn)).toBe(`\${${fnId}.Arn}`);
    expect(target.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 2 });
    expect(flatten(target.DeadLetterConfig.Arn)).toMatch(/PushDeadLetterQueue/);

    const { statements } = synth.roleOf(fnId);
    const sns = statements.filter((st) => asArray(st.Action).some((a) => a.startsWith('sns:')));
    expect(sns.map((st) => ({ Action: asArray(st.Action).sort(), Resource: asArray(st.Resource).map(flatten).sort() }))).toEqual([
      { Action: ['sns:CreatePlatformEndpoint'], Resource: [APNS, FCM].sort() },
      {
        Action: ['sns:DeleteEndpoint', 'sns:Publish', 'sns:SetEndpointAttributes'],
        Resource: ['arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/chat-ios/*', 'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/chat-android/*'],
      },
    ]);
    // Devices that go away delete their endpoint: exactly the device routes and the erasure worker may
    // sns:DeleteEndpoint, on those applications' endpoints only; no other function talks to SNS.
    const unregister = ['PUT /v1/me/devices/{deviceId}', 'DELETE /v1/me/devices/{deviceId}', 'SQS Governance'];
    const others = synth.chatFunctions().filter(([id]) => id !== fnId);
    const snsOf = (id: string) =>
      synth
        .roleOf(id)
        .statements.filter((st) => asArray(st.Action).some((a) => a.startsWith('sns:')))
        .map((st) => ({ Action: asArray(st.Action).sort(), Resource: asArray(st.Resource).map(flatten).sort() }));
    const withSns = others.filter(([id]) => snsOf(id).length > 0);
    expect(withSns.map(([, r]) => r.Properties.Description).sort()).toEqual([...unregister].sort());
    for (const [id] of withSns) {
      expect(snsOf(id), id).toEqual([
        { Action: ['sns:DeleteEndpoint'], Resource: ['arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/chat-ios/*', 'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/chat-android/*'] },
      ]);
    }
  }, 120_000);

  it('is cdk-nag clean with push configured', () => {
    const { app } = build({ pushPlatformApplications: { apnsSandbox: 'arn:aws:sns:us-east-1:123456789012:app/APNS_SANDBOX/dev-ios' } });
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  }, 120_000);

  it.each([
    [{ pushPlatformApplications: { apns: FCM } }, /APNS platform application/],
    [{ pushPlatformApplications: { webpush: APNS } }, /unknown key/],
    [{ pushPlatformApplications: 'not json' }, /object/],
    [{ pushPreview: 'partial' }, /pushPreview/],
  ])('refuses bad context %j', (context, error) => {
    expect(() => build(context)).toThrow(error);
  });
});
