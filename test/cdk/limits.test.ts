/**
 * CloudFormation quotas (issue 19): at most 500 resources per stack. Every
 * context variant (`lib/variants.ts`) must stay within `RESOURCE_BUDGET`
 * (450), so new routes and alarms do not break `cdk deploy` with
 * "Template format error: Number of resources, N, is greater than maximum allowed, 500".
 * Also: functions whose routes declare the same permissions share one role
 * (`lib/function-roles.ts`), and no role grants more than its routes declare.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { eventRoutes, httpRoutes, queueRoutes, scheduledRoutes, wsRoutes } from '../../functions/routes';
import { ChatStack } from '../../lib/chat-stack';
import { permissionSetKey } from '../../lib/function-roles';
import { CLOUDFORMATION_RESOURCE_LIMIT, CONTEXT_VARIANTS, RESOURCE_BUDGET } from '../../lib/variants';
import { flatten, Synth } from './template';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const outRoot = mkdtempSync(path.join(tmpdir(), 'chat-cdk-limits-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

function synth(context: Record<string, string>): { stack: ChatStack; s: Synth } {
  const app = new App({ outdir: mkdtempSync(path.join(outRoot, 'cdk.out-')), context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new ChatStack(app, 'LimitsChat');
  return { stack, s: Synth.of(stack) };
}

describe('CloudFormation resource quota', () => {
  it.each(Object.entries(CONTEXT_VARIANTS))('%s stays within the budget of resources', (_name, context) => {
    const { s } = synth(context);
    const count = Object.keys(s.resources).length;
    expect(RESOURCE_BUDGET).toBeLessThan(CLOUDFORMATION_RESOURCE_LIMIT);
    expect(count).toBeLessThanOrEqual(RESOURCE_BUDGET);
  }, 60_000);
});

describe('function roles: one per permission set', () => {
  const { stack, s } = synth({});
  const routes = [...httpRoutes, ...wsRoutes, ...queueRoutes, ...scheduledRoutes];

  it('creates exactly one role per distinct permission set, far fewer than functions', () => {
    const sets = new Set(routes.map((r) => permissionSetKey(r.permissions)));
    const functionRoleIds = new Set(s.chatFunctions().map(([, fn]) => fn.Properties.Role['Fn::GetAtt'][0] as string));
    expect(functionRoleIds.size).toBe(sets.size);
    expect(functionRoleIds.size).toBeLessThan(s.chatFunctions().length / 2);
  });

  it('shares a role only among routes with the same permissions', () => {
    const keyByRole = new Map<string, string>();
    for (const route of routes) {
      const fn = stack.functions[route.name]!;
      const fnId = stack.getLogicalId(fn.function.node.defaultChild as CfnElement);
      const roleId = s.resources[fnId]!.Properties.Role['Fn::GetAtt'][0] as string;
      const key = permissionSetKey(route.permissions);
      expect(keyByRole.get(roleId) ?? key, `${route.name} on ${roleId}`).toBe(key);
      keyByRole.set(roleId, key);
    }
    expect(eventRoutes.length).toBeGreaterThan(0); // push is opt-in; its role is checked in push.test.ts
  });
});

describe('operator outputs (issue 19)', () => {
  it('outputs region, dashboard, issuer and JWKS, API URLs, queues and DLQs, log groups', () => {
    const { s } = synth({});
    const out = (id: string) => {
      expect(s.outputs[id], id).toBeDefined();
      return flatten(s.outputs[id].Value);
    };
    const [dashboardId] = s.only('AWS::CloudWatch::Dashboard');
    const [poolId] = s.only('AWS::Cognito::UserPool');
    expect(out('Region')).toBe('${AWS::Region}');
    expect(out('DashboardUrl')).toBe(`https://console.aws.amazon.com/cloudwatch/home?region=\${AWS::Region}#dashboards:name=\${${dashboardId}}`);
    expect(out('IssuerUrl')).toBe(`https://cognito-idp.\${AWS::Region}.\${AWS::URLSuffix}/\${${poolId}}`);
    expect(out('JwksUrl')).toBe(`https://cognito-idp.\${AWS::Region}.\${AWS::URLSuffix}/\${${poolId}}/.well-known/jwks.json`);
    for (const id of ['HttpApiUrl', 'WebSocketUrl', 'UserPoolId', 'UserPoolClientId', 'AlarmTopicArn']) out(id);
    const queueIds = new Set(s.ofType('AWS::SQS::Queue').map(([id]) => id));
    const queueOutputs = ['FanOutQueueUrl', 'FanOutDeadLetterQueueUrl', 'GovernanceQueueUrl', 'GovernanceDeadLetterQueueUrl'].map((id) => /^\$\{(\w+)\}$/.exec(out(id))![1]!);
    expect(new Set(queueOutputs)).toEqual(queueIds);
    const logGroups = new Set(s.ofType('AWS::Logs::LogGroup').map(([id]) => id));
    expect(logGroups.has(/^\$\{(\w+)\}$/.exec(out('HttpAccessLogGroupName'))![1]!)).toBe(true);
    for (const route of [...queueRoutes, ...scheduledRoutes]) expect(logGroups.has(/^\$\{(\w+)\}$/.exec(out(`${route.name}LogGroupName`))![1]!), route.name).toBe(true);
  });

  it('outputs the OIDC issuer and JWKS as configured, and the push DLQ when push is on', () => {
    const oidc = synth(CONTEXT_VARIANTS.oidc!).s;
    expect(flatten(oidc.outputs.IssuerUrl.Value)).toBe(CONTEXT_VARIANTS.oidc!.oidcIssuer);
    expect(flatten(oidc.outputs.JwksUrl.Value)).toBe(CONTEXT_VARIANTS.oidc!.oidcJwksUri);
    const push = synth(CONTEXT_VARIANTS.push!).s;
    expect(push.outputs.PushDeadLetterQueueUrl).toBeDefined();
    expect(synth({}).s.outputs.PushDeadLetterQueueUrl).toBeUndefined();
  });
});
