/**
 * Issue 7, hardening and operations: cdk-nag AwsSolutions checks pass with
 * narrow, justified acknowledgments only; alarms, the alarm topic and the
 * dashboard (`lib/operations.ts`); access logging of both API stages and of
 * the attachment bucket. Bundling is skipped: only configuration is checked.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GLOBAL_SECONDARY_INDEXES } from '../../functions/data/table';
import { httpRoutes, queueRoutes, scheduledRoutes, wsRoutes } from '../../functions/routes';
import { PROJECT_ROOT } from '../../lib/chat-function';
import { ChatStack, WEBSOCKET_STAGE_NAME } from '../../lib/chat-stack';
import { APP_METRICS, APP_METRICS_NAMESPACE, APP_METRICS_SERVICE, HTTP_MIN_REQUESTS, THROTTLE_THRESHOLD_PERCENT, WORKER_ERROR_THRESHOLD_PERCENT, WORKER_MIN_INVOCATIONS } from '../../lib/operations';
import { asArray, flatten, Synth, type Json, type Resource } from './template';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const outRoot = mkdtempSync(path.join(tmpdir(), 'chat-cdk-ops-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

const OIDC = {
  oidcIssuer: 'https://issuer.example.com/',
  oidcAudience: 'chat-api',
  oidcJwksUri: 'https://issuer.example.com/.well-known/jwks.json',
};

function build(context: Record<string, unknown> = {}): { app: App; stack: ChatStack } {
  const app = new App({
    outdir: mkdtempSync(path.join(outRoot, 'cdk.out-')),
    context: { ...context, 'aws:cdk:bundling-stacks': [] },
  });
  return { app, stack: new ChatStack(app, 'OpsChat') };
}


/** Every metric an alarm reads: its own, or those of its metric math. */
function alarmMetrics(alarm: Resource): { MetricName: string; Namespace: string; Dimensions?: Json[]; Stat?: string }[] {
  const p = alarm.Properties;
  if (p.MetricName) return [{ MetricName: p.MetricName, Namespace: p.Namespace, Dimensions: p.Dimensions, Stat: p.Statistic ?? p.ExtendedStatistic }];
  return (p.Metrics as Json[]).filter((m) => m.MetricStat).map((m) => ({ ...m.MetricStat.Metric, Stat: m.MetricStat.Stat }));
}

const dims = (d: Json[] | undefined) => Object.fromEntries(asArray(d).map((x: Json) => [x.Name, flatten(x.Value)]));

// ---- cdk-nag -----------------------------------------------------------------

describe('cdk-nag AwsSolutions checks', () => {
  it.each([
    ['Cognito', {}],
    ['OIDC', OIDC],
  ] as const)('report no unacknowledged finding (%s)', (_name, context) => {
    const { app } = build(context);
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const summary = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(summary.filter((v) => v.startsWith('error'))).toEqual([]);
    // Warnings are not fatal, but there are none left either.
    expect(summary).toEqual([]);
    expect(report.success).toBe(true);
  }, 120_000);

  it('run as a synth-time validation plugin and fail the synth on a finding', () => {
    const { app, stack } = build();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    new s3.Bucket(stack, 'UnloggedBucket', { enforceSSL: true });
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-S1');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1|server access logs/);
  }, 120_000);

  it('are registered on every synth by bin/app.ts', () => {
    const source = readFileSync(path.join(PROJECT_ROOT, 'bin/app.ts'), 'utf8');
    expect(source).toMatch(/Validations\.of\(app\)\.addPlugins\(new AwsSolutionsChecks\(app\)\)/);
  });

  it('are acknowledged on resources only, never for the whole stack, and always with a reason', () => {
    const { app, stack } = build();
    const acks: { path: string; id: string; reason: string }[] = [];
    const visit = (c: IConstruct) => {
      for (const entry of c.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) acks.push({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
      c.node.children.forEach(visit);
    };
    visit(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.path, ack.id).not.toBe(stack.node.path);
      expect(ack.path, ack.id).not.toBe('');
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThan(40);
    }
    // The only rules acknowledged anywhere; a new one must be added here on purpose.
    const rules = [...new Set(acks.map((a) => a.id.replace(/\[.*$/, '')))].sort();
    expect(rules).toEqual(['AwsSolutions-APIG1', 'AwsSolutions-APIG4', 'AwsSolutions-COG2', 'AwsSolutions-COG8', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-L1', 'AwsSolutions-S1', 'AwsSolutions-SMG4']);
    // IAM5 only for specific wildcards, never a whole action family like `s3:*` or `dynamodb:*`.
    for (const ack of acks.filter((a) => a.id.startsWith('AwsSolutions-IAM5'))) {
      expect(ack.id, ack.path).toMatch(/^AwsSolutions-IAM5\[(Resource::.+|Action::s3:(GetObject|GetBucket|List)\*)\]$/);
    }
    const managed = acks.filter((a) => a.id.startsWith('AwsSolutions-IAM4')).map((a) => a.id);
    expect([...new Set(managed)].sort()).toEqual([
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    ]);
  }, 120_000);
});

// ---- alarms, topic, dashboard, access logs -------------------------------------

describe('operations (default: Cognito)', () => {
  let s: Synth;
  let topicId: string;
  let httpApiId: string;
  let wsApiId: string;

  beforeAll(() => {
    s = Synth.of(build().stack);
    [topicId] = s.only('AWS::SNS::Topic');
    [httpApiId] = s.only('AWS::ApiGatewayV2::Api', (r) => r.Properties.ProtocolType === 'HTTP');
    [wsApiId] = s.only('AWS::ApiGatewayV2::Api', (r) => r.Properties.ProtocolType === 'WEBSOCKET');
  }, 120_000);

  it('creates one encrypted alarm topic and outputs its ARN', () => {
    const [, topic] = s.only('AWS::SNS::Topic');
    const [keyId, key] = s.only('AWS::KMS::Key');
    expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(key.Properties.EnableKeyRotation).toBe(true);
    // CloudWatch must be able to use the key, or alarm notifications are dropped.
    const cloudwatchGrant = (key.Properties.KeyPolicy.Statement as Json[]).find((st) => st.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(asArray(cloudwatchGrant?.Action)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
    expect(s.outputs.AlarmTopicArn.Value).toEqual({ Ref: topicId });
    expect(s.ofType('AWS::SNS::Subscription')).toHaveLength(0);
  });

  it('notifies the topic from every alarm, on alarm and on recovery', () => {
    expect(s.alarms().length).toBeGreaterThan(0);
    for (const [id, alarm] of s.alarms()) {
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.TreatMissingData, id).toBe('notBreaching');
      expect(alarm.Properties.AlarmName, id).toBeUndefined();
    }
  });

  // Issue 19: rates, not single errors; every alarm's metric math within CloudWatch's 10 metrics.
  it('alarms on the workers\' error rate (errors / invocations, with a minimum), never on a single error', () => {
    const workers = s.chatFunctions().filter(([, fn]) => /^(SQS|Schedule|EventBridge) /.test(fn.Properties.Description));
    expect(workers.length).toBe(queueRoutes.length + scheduledRoutes.length);
    const alarms = s.alarms().filter(([, a]) => alarmMetrics(a).some((m) => m.Namespace === 'AWS/Lambda' && m.MetricName === 'Errors'));
    for (const [, alarm] of alarms) {
      expect(alarmMetrics(alarm).length).toBeLessThanOrEqual(10);
      expect(alarm.Properties.Threshold).toBe(WORKER_ERROR_THRESHOLD_PERCENT);
      const expression = (alarm.Properties.Metrics as Json[]).find((m) => m.Expression).Expression as string;
      expect(expression).toMatch(new RegExp(`^IF\\(.* >= ${WORKER_MIN_INVOCATIONS}, 100 \\* \\(`));
    }
    for (const [fnId] of workers) {
      const covering = alarms.filter(([, a]) => alarmMetrics(a).some((m) => m.MetricName === 'Errors' && dims(m.Dimensions).FunctionName === `\${${fnId}}`));
      expect(covering, fnId).toHaveLength(1);
      expect(alarmMetrics(covering[0]![1]).some((m) => m.MetricName === 'Invocations' && dims(m.Dimensions).FunctionName === `\${${fnId}}`), fnId).toBe(true);
    }
    // The API functions' errors and timeouts are the APIs' 5xx / integration error rates (below).
    expect(alarms.flatMap(([, a]) => alarmMetrics(a)).filter((m) => m.MetricName === 'Errors')).toHaveLength(workers.length);
  });

  it('alarms on the region-wide Lambda throttle rate, latency near the timeout, DynamoDB system errors and EventBridge failed invocations', () => {
    const byMetric = (namespace: string, metricName: string) => s.alarms().filter(([, a]) => alarmMetrics(a).some((m) => m.Namespace === namespace && m.MetricName === metricName));
    const [[, throttles]] = byMetric('AWS/Lambda', 'Throttles') as [[string, Resource]];
    expect(alarmMetrics(throttles).map((m) => [m.MetricName, m.Dimensions]).sort()).toEqual([['Invocations', undefined], ['Throttles', undefined]]);
    expect(throttles.Properties.Threshold).toBe(THROTTLE_THRESHOLD_PERCENT);

    const [, httpLatency] = s.only('AWS::CloudWatch::Alarm', (a) => a.Properties.MetricName === 'IntegrationLatency' && dims(a.Properties.Dimensions).ApiId === `\${${httpApiId}}` && !dims(a.Properties.Dimensions).Stage);
    expect(httpLatency.Properties).toMatchObject({ ExtendedStatistic: 'p99', Threshold: 8000, EvaluationPeriods: 3 });
    const [, wsLatency] = s.only('AWS::CloudWatch::Alarm', (a) => alarmMetrics(a).some((m) => m.MetricName === 'IntegrationLatency' && dims(m.Dimensions).ApiId === `\${${wsApiId}}`));
    expect(wsLatency.Properties).toMatchObject({ Threshold: 8000, EvaluationPeriods: 3 });
    expect(alarmMetrics(wsLatency)[0]).toMatchObject({ Stat: 'p99' });
    const durations = byMetric('AWS/Lambda', 'Duration');
    expect(durations.flatMap(([, a]) => alarmMetrics(a))).toHaveLength(queueRoutes.length + scheduledRoutes.length);
    for (const [, a] of durations) expect((a.Properties.Metrics as Json[]).find((m) => m.Expression).Expression).toMatch(/^MAX\(\[100 \* FILL\(d0, 0\) \/ \d+/);

    const [[, system]] = byMetric('AWS/DynamoDB', 'SystemErrors') as [[string, Resource]];
    expect(alarmMetrics(system).map((m) => dims(m.Dimensions).Operation)).toEqual(expect.arrayContaining(['GetItem', 'Query', 'TransactWriteItems']));
    expect(alarmMetrics(system).length).toBeLessThanOrEqual(10);

    const rules = s.ofType('AWS::Events::Rule');
    const [[, failed]] = byMetric('AWS/Events', 'FailedInvocations') as [[string, Resource]];
    expect(alarmMetrics(failed).map((m) => dims(m.Dimensions).RuleName).sort()).toEqual(rules.map(([id]) => `\${${id}}`).sort());
  });

  it('alarms on the HTTP API 5xx rate above 1 % over 5 minutes, with a minimum request count', () => {
    const found = s.alarms().filter(([, a]) => alarmMetrics(a).some((m) => m.MetricName === '5xx'));
    expect(found).toHaveLength(1);
    const [, alarm] = found[0]!;
    const p = alarm.Properties;
    expect(p).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1 });
    const metrics = alarmMetrics(alarm);
    expect(metrics.map((m) => m.MetricName).sort()).toEqual(['5xx', 'Count']);
    for (const m of metrics) {
      expect(m.Namespace).toBe('AWS/ApiGateway');
      expect(dims(m.Dimensions).ApiId).toBe(`\${${httpApiId}}`);
      expect(m.Stat).toBe('Sum');
    }
    const stats = (p.Metrics as Json[]).filter((m) => m.MetricStat);
    for (const m of stats) expect(m.MetricStat.Period).toBe(300);
    const expression = (p.Metrics as Json[]).find((m) => m.Expression);
    expect(expression.ReturnData).not.toBe(false);
    expect(expression.Expression).toContain(`>= ${HTTP_MIN_REQUESTS}`);
    expect(expression.Expression).toMatch(/100 \* FILL\(errors, 0\) \/ requests/);
  });

  it('alarms on the WebSocket stage integration error rate', () => {
    const found = s.alarms().filter(([, a]) => alarmMetrics(a).some((m) => m.MetricName === 'IntegrationError'));
    expect(found).toHaveLength(1);
    for (const m of alarmMetrics(found[0]![1])) {
      expect(dims(m.Dimensions)).toEqual({ ApiId: `\${${wsApiId}}`, Stage: WEBSOCKET_STAGE_NAME });
    }
    expect(alarmMetrics(found[0]![1]).map((m) => m.MetricName).sort()).toEqual(['ConnectCount', 'IntegrationError', 'MessageCount']);
  });

  it('alarms on DynamoDB read and write throttles of the table and each GSI', () => {
    const [tableId] = s.only('AWS::DynamoDB::GlobalTable');
    for (const indexName of [undefined, ...GLOBAL_SECONDARY_INDEXES.map((g) => g.indexName)]) {
      const found = s.alarms().filter(([, a]) => {
        const metrics = alarmMetrics(a);
        return (
          metrics.some((m) => m.MetricName === 'ReadThrottleEvents') &&
          metrics.every((m) => m.Namespace === 'AWS/DynamoDB' && dims(m.Dimensions).TableName === `\${${tableId}}` && dims(m.Dimensions).GlobalSecondaryIndexName === indexName)
        );
      });
      expect(found, indexName ?? 'table').toHaveLength(1);
      expect(alarmMetrics(found[0]![1]).map((m) => m.MetricName).sort()).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents']);
      expect(found[0]![1].Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
  });

  it('alarms when a message lands in any dead-letter queue', () => {
    const dlqs = s.ofType('AWS::SQS::Queue').filter(([id]) => s.ofType('AWS::SQS::Queue').some(([, q]) => q.Properties.RedrivePolicy?.deadLetterTargetArn['Fn::GetAtt'][0] === id));
    expect(dlqs).toHaveLength(2);
    const found = s.alarms().filter(([, a]) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(found.map(([, a]) => dims(a.Properties.Dimensions).QueueName).sort()).toEqual(dlqs.map(([id]) => `\${${id}.QueueName}`).sort());
    for (const [, a] of found) expect(a.Properties).toMatchObject({ Namespace: 'AWS/SQS', Statistic: 'Maximum', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('with push: alarms on the push DLQ and the SNS mobile push failure rate of each platform application', () => {
    const push = Synth.of(build({ pushPlatformApplications: JSON.stringify({ apns: 'arn:aws:sns:eu-west-1:123456789012:app/APNS/chat-ios', fcm: 'arn:aws:sns:eu-west-1:123456789012:app/GCM/chat-android' }) }).stack);
    const queues = push.ofType('AWS::SQS::Queue').filter(([, q]) => !q.Properties.FifoQueue);
    expect(queues).toHaveLength(1);
    push.only('AWS::CloudWatch::Alarm', (a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' && dims(a.Properties.Dimensions).QueueName === `\${${queues[0]![0]}.QueueName}`);
    const [, failures] = push.only('AWS::CloudWatch::Alarm', (a) => alarmMetrics(a).some((m) => m.MetricName === 'NumberOfNotificationsFailed'));
    expect(alarmMetrics(failures).map((m) => `${m.MetricName} ${dims(m.Dimensions).Platform}/${dims(m.Dimensions).Application}`).sort()).toEqual([
      'NumberOfNotificationsDelivered APNS/chat-ios',
      'NumberOfNotificationsDelivered GCM/chat-android',
      'NumberOfNotificationsFailed APNS/chat-ios',
      'NumberOfNotificationsFailed GCM/chat-android',
    ]);
    expect(push.alarms().filter(([, a]) => alarmMetrics(a).some((m) => m.Namespace === 'AWS/Events')).flatMap(([, a]) => alarmMetrics(a))).toHaveLength(push.ofType('AWS::Events::Rule').length);
  }, 120_000);

  it('subscribes the alarmEmail context to the topic, and rejects a malformed address', () => {
    const withEmail = Synth.of(build({ alarmEmail: 'ops@example.com' }).stack);
    const [, sub] = withEmail.only('AWS::SNS::Subscription');
    expect(sub.Properties).toMatchObject({ Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: withEmail.only('AWS::SNS::Topic')[0] } });
    expect(() => build({ alarmEmail: 'not-an-address' })).toThrow(/e-mail/);
  }, 120_000);

  it('has one dashboard with the API, function, table, queue and application metrics', () => {
    const [, dashboard] = s.only('AWS::CloudWatch::Dashboard');
    expect(dashboard.Properties.DashboardName).toBeUndefined();
    const body = JSON.parse(flatten(dashboard.Properties.DashboardBody).replace(/\$\{[\w.:]+\}/g, 'X')) as { widgets: Json[] };
    const metrics: Json[][] = body.widgets.flatMap((w) => (w.properties?.metrics ?? []) as Json[][]);
    const has = (namespace: string, metricName: string, stat?: string) =>
      metrics.some((m) => {
        const named = m[0] === namespace && m[1] === metricName;
        const options = m.find((x) => x && typeof x === 'object' && !Array.isArray(x)) as Json;
        return named && (stat === undefined || options?.stat === stat);
      });
    for (const name of ['Count', '4xx', '5xx', 'ConnectCount', 'MessageCount', 'IntegrationError']) expect(has('AWS/ApiGateway', name), name).toBe(true);
    expect(has('AWS/ApiGateway', 'Latency', 'p50')).toBe(true);
    expect(has('AWS/ApiGateway', 'Latency', 'p99')).toBe(true);
    for (const name of ['Errors', 'Throttles']) expect(has('AWS/Lambda', name), name).toBe(true);
    expect(has('AWS/Lambda', 'Duration', 'p99')).toBe(true);
    // Every function is graphed.
    const lambdaErrors = metrics.filter((m) => m[0] === 'AWS/Lambda' && m[1] === 'Errors');
    expect(lambdaErrors).toHaveLength(s.chatFunctions().length);
    for (const name of ['ConsumedReadCapacityUnits', 'ConsumedWriteCapacityUnits', 'ReadThrottleEvents', 'WriteThrottleEvents']) {
      expect(has('AWS/DynamoDB', name), name).toBe(true);
    }
    expect(has('AWS/SQS', 'ApproximateAgeOfOldestMessage')).toBe(true);
    expect(has('AWS/SQS', 'ApproximateNumberOfMessagesVisible')).toBe(true);
    for (const name of APP_METRICS) {
      const found = metrics.filter((m) => m[0] === APP_METRICS_NAMESPACE && m[1] === name);
      expect(found.length, name).toBeGreaterThan(0);
      for (const m of found) expect(m.slice(2, 4)).toEqual(['service', APP_METRICS_SERVICE]);
    }
    expect(body.widgets.some((w) => w.type === 'alarm')).toBe(true);
  });

  it('logs access to both API stages as JSON, without query strings or headers (WebSocket: when the account has the API Gateway role)', () => {
    const [, wsDefault] = s.only('AWS::ApiGatewayV2::Stage', (r) => r.Properties.ApiId.Ref === wsApiId);
    expect(wsDefault.Properties.AccessLogSettings).toBeUndefined();
    const withRole = Synth.of(build({ apiGatewayCloudWatchRole: 'existing' }).stack);
    expect(withRole.ofType('AWS::ApiGateway::Account')).toHaveLength(0);
    for (const [t, apiId] of [[s, httpApiId], [withRole, wsApiId]] as const) {
      const s = t;
      const [, stage] = s.only('AWS::ApiGatewayV2::Stage', (r) => r.Properties.ApiId.Ref === apiId);
      const settings = stage.Properties.AccessLogSettings;
      expect(settings, apiId).toBeDefined();
      const logGroupId = settings.DestinationArn['Fn::GetAtt'][0] as string;
      expect(s.resources[logGroupId]?.Type).toBe('AWS::Logs::LogGroup');
      expect(s.resources[logGroupId]?.Properties.RetentionInDays).toBe(90);
      expect(s.resources[logGroupId]?.Properties.LogGroupName).toBeUndefined();
      const format = JSON.parse(settings.Format) as Record<string, string>;
      expect(format.requestId).toBe('$context.requestId');
      expect(format.status).toBe('$context.status');
      expect(settings.Format).not.toMatch(/querystring|authorization|\$input/i);
    }
  });

  it('sets the account-wide API Gateway CloudWatch role only when told to (an account singleton: opt-in)', () => {
    expect(s.ofType('AWS::ApiGateway::Account')).toHaveLength(0);
    const created = Synth.of(build({ apiGatewayCloudWatchRole: 'create' }).stack);
    const [accountId, account] = created.only('AWS::ApiGateway::Account');
    expect(account.DeletionPolicy).toBe('RetainExceptOnCreate');
    const [, wsStage] = created.only('AWS::ApiGatewayV2::Stage', (r) => r.Properties.ApiId.Ref === wsApiId);
    expect(wsStage.Properties.AccessLogSettings).toBeDefined();
    expect((wsStage as Json).DependsOn).toContain(accountId);
    const roleId = account.Properties.CloudWatchRoleArn['Fn::GetAtt'][0] as string;
    const role = created.resources[roleId]!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'apigateway.amazonaws.com' });
    expect(asArray(role.Properties.ManagedPolicyArns).map(flatten)).toEqual([
      'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    ]);
    // `true`/`false` keep their earlier meaning (create/none).
    expect(Synth.of(build({ apiGatewayCloudWatchRole: 'true' }).stack).ofType('AWS::ApiGateway::Account')).toHaveLength(1);
    expect(Synth.of(build({ apiGatewayCloudWatchRole: 'false' }).stack).ofType('AWS::ApiGateway::Account')).toHaveLength(0);
    expect(() => build({ apiGatewayCloudWatchRole: 'maybe' })).toThrow(/create, existing or none/);
  }, 120_000);

  it('writes S3 server access logs of the attachment bucket to a dedicated, private log bucket', () => {
    const [, attachments] = s.only('AWS::S3::Bucket', (r) => r.Properties.CorsConfiguration !== undefined);
    const [logBucketId, logBucket] = s.only('AWS::S3::Bucket', (r) => r.Properties.CorsConfiguration === undefined);
    expect(attachments.Properties.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logBucketId }, LogFilePrefix: 'attachments/' });
    expect(logBucket.Properties.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicAcls: true, RestrictPublicBuckets: true });
    expect(logBucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(logBucket.Properties.AccessControl).toBeUndefined();
    const [, policy] = s.only('AWS::S3::BucketPolicy', (p) => p.Properties.Bucket.Ref === logBucketId);
    const statements = policy.Properties.PolicyDocument.Statement as Json[];
    expect(statements.some((st) => st.Effect === 'Allow' && st.Principal?.Service === 'logging.s3.amazonaws.com')).toBe(true);
    expect(statements.some((st) => st.Effect === 'Deny' && st.Condition?.Bool?.['aws:SecureTransport'] === 'false')).toBe(true);
  });

  it('gives the user pool a strong password policy and optional TOTP MFA', () => {
    const [, pool] = s.only('AWS::Cognito::UserPool');
    expect(pool.Properties.Policies.PasswordPolicy).toMatchObject({
      MinimumLength: 12,
      RequireLowercase: true,
      RequireUppercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
    });
    expect(pool.Properties.MfaConfiguration).toBe('OPTIONAL');
    expect(pool.Properties.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
  });

  it('grants Resource "*" only for X-Ray, which has no resource-level permissions', () => {
    for (const [policyId, policy] of s.ofType('AWS::IAM::Policy')) {
      for (const st of policy.Properties.PolicyDocument.Statement as Json[]) {
        if (!asArray(st.Resource).includes('*')) continue;
        for (const action of asArray(st.Action) as string[]) expect(action, policyId).toMatch(/^xray:/);
      }
    }
  });
});
