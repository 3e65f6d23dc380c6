/**
 * Issue 19, deployment half: customer-managed keys (context
 * `customerManagedKey=true` / `kmsKeyArn`, SPEC §10), stages side by side in
 * one account (context `stage`), removal policies (RETAIN_ON_UPDATE_OR_DELETE,
 * or DESTROY with `destroyOnRemoval=true` off prod), and the alarm topic
 * policy CloudWatch needs. Bundling is skipped: only configuration is checked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatStack } from '../../lib/chat-stack';
import { stackNameFor } from '../../lib/context';
import { asArray, flatten, Synth, type Json, type Resource, type Statement } from './template';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const outRoot = mkdtempSync(path.join(tmpdir(), 'chat-cdk-deploy-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

const KEY_ARN = 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function newApp(context: Record<string, unknown> = {}): App {
  return new App({ outdir: mkdtempSync(path.join(outRoot, 'cdk.out-')), context: { ...context, 'aws:cdk:bundling-stacks': [] } });
}

function build(context: Record<string, unknown> = {}): { app: App; stack: ChatStack; s: Synth } {
  const app = newApp(context);
  const stack = new ChatStack(app, 'DeployChat');
  return { app, stack, s: Synth.of(stack) };
}

/** Resource types that hold data or identities and must survive a stack deletion in prod. */
const STATEFUL = ['AWS::DynamoDB::GlobalTable', 'AWS::S3::Bucket', 'AWS::Cognito::UserPool', 'AWS::KMS::Key', 'AWS::Logs::LogGroup'];

const statementsOf = (s: Synth) =>
  s.ofType('AWS::IAM::Policy').flatMap(([id, p]) => (p.Properties.PolicyDocument.Statement as Statement[]).map((st) => ({ policy: id, ...st })));

function nagSummary(app: App): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
}

describe('encryption at rest, default: AWS owned and managed keys', () => {
  let s: Synth;
  beforeAll(() => ({ s } = build()));

  it('creates no customer-managed key other than the alarm topic key, and no store references one', () => {
    expect(s.ofType('AWS::KMS::Key')).toHaveLength(1);
    expect(s.ofType('AWS::KMS::Alias')).toHaveLength(0);
    const [, table] = s.only('AWS::DynamoDB::GlobalTable');
    expect(table.Properties.Replicas[0].SSESpecification).toBeUndefined();
    expect(s.attachmentBucket()[1].Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
    for (const [id, q] of s.ofType('AWS::SQS::Queue')) expect(q.Properties.SqsManagedSseEnabled, id).toBe(true);
    for (const [id, lg] of s.ofType('AWS::Logs::LogGroup')) expect(lg.Properties.KmsKeyId, id).toBeUndefined();
    expect(s.only('AWS::Events::EventBus')[1].Properties.KmsKeyIdentifier).toBeUndefined();
  });
});

describe.each([
  ['customerManagedKey=true', { customerManagedKey: 'true' }],
  ['kmsKeyArn', { kmsKeyArn: KEY_ARN }],
] as const)('encryption at rest with a customer-managed key (%s)', (mode, context) => {
  let app: App;
  let s: Synth;
  /** How the template refers to the key's ARN: GetAtt of the created key, or the literal ARN. */
  let keyArn: string;
  let keyRef: Json;
  beforeAll(() => {
    ({ app, s } = build(context));
    if (mode === 'kmsKeyArn') {
      keyArn = KEY_ARN;
      keyRef = KEY_ARN;
    } else {
      const [keyId] = s.only('AWS::KMS::Key');
      keyArn = `\${${keyId}.Arn}`;
      keyRef = { 'Fn::GetAtt': [keyId, 'Arn'] };
    }
  });
  const refersToKey = (v: Json) => v !== undefined && (flatten(v) === keyArn || (typeof v === 'object' && 'Ref' in v && keyArn === `\${${v.Ref}.Arn}`));

  it('creates one rotated key kept like the data (or none when one is given)', () => {
    if (mode === 'kmsKeyArn') {
      expect(s.ofType('AWS::KMS::Key')).toHaveLength(0);
      return;
    }
    const [keyId, key] = s.only('AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.PendingWindowInDays).toBe(30);
    expect(key.DeletionPolicy).toBe('RetainExceptOnCreate');
    const [, alias] = s.only('AWS::KMS::Alias');
    expect(alias.Properties.AliasName).toBe('alias/DeployChat');
    expect(alias.Properties.TargetKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
  });

  it('lets CloudWatch Logs (this account\'s log groups only), CloudWatch alarms and EventBridge use a created key', () => {
    if (mode === 'kmsKeyArn') return; // an imported key's policy is its owner's (README "Compliance")
    const statements = s.only('AWS::KMS::Key')[1].Properties.KeyPolicy.Statement as Json[];
    const byService = (service: RegExp) => statements.filter((st) => asArray(st.Principal?.Service).some((p: Json) => service.test(flatten(p))));
    const [logs] = byService(/^logs\..+\.amazonaws\.com$/);
    expect(logs, 'logs statement').toBeDefined();
    expect(flatten(logs.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'])).toBe('arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*');
    expect(asArray(byService(/^cloudwatch\.amazonaws\.com$/)[0]?.Action)).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    const [events] = byService(/^events\.amazonaws\.com$/);
    expect(asArray(events?.Action)).toContain('kms:GenerateDataKey');
    expect(events.Condition).toBeDefined();
  });

  it('encrypts the table, attachment bucket, queues, bus, alarm topic and every log group with it', () => {
    const [, table] = s.only('AWS::DynamoDB::GlobalTable');
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(table.Properties.Replicas).toHaveLength(1);
    expect(refersToKey(table.Properties.Replicas[0].SSESpecification.KMSMasterKeyId)).toBe(true);

    const [, bucket] = s.attachmentBucket();
    const sse = bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0];
    expect(sse.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    expect(refersToKey(sse.ServerSideEncryptionByDefault.KMSMasterKeyID)).toBe(true);
    expect(sse.BucketKeyEnabled).toBe(true);

    const queues = s.ofType('AWS::SQS::Queue');
    expect(queues.length).toBeGreaterThanOrEqual(2);
    for (const [id, q] of queues) {
      expect(refersToKey(q.Properties.KmsMasterKeyId), id).toBe(true);
      expect(q.Properties.KmsDataKeyReusePeriodSeconds, id).toBe(3600);
    }
    expect(refersToKey(s.only('AWS::Events::EventBus')[1].Properties.KmsKeyIdentifier)).toBe(true);
    for (const [id, topic] of s.ofType('AWS::SNS::Topic')) expect(refersToKey(topic.Properties.KmsMasterKeyId), id).toBe(true);
    const logGroups = s.ofType('AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThan(s.chatFunctions().length);
    for (const [id, lg] of logGroups) expect(refersToKey(lg.Properties.KmsKeyId), id).toBe(true);
  });

  it('grants each function the key use its table, bucket and queue access needs, on this key only', () => {
    const fnStatements = (fnId: string) => s.roleOf(fnId).statements;
    for (const [fnId, fn] of s.chatFunctions()) {
      const statements = fnStatements(fnId);
      const kms = statements.filter((st) => asArray(st.Action).some((a) => a.startsWith('kms:')));
      for (const st of kms) expect(flatten(st.Resource), `${fn.Properties.Description}: kms on the key only`).toBe(keyArn);
      const actions = kms.flatMap((st) => asArray(st.Action));
      const uses = (prefix: string) => statements.some((st) => asArray(st.Action).some((a) => a.startsWith(prefix)));
      if (uses('dynamodb:') || uses('s3:GetObject')) expect(actions, `${fn.Properties.Description} decrypts`).toContain('kms:Decrypt');
      if (uses('s3:PutObject') || uses('sqs:SendMessage')) {
        expect(actions.some((a) => a.startsWith('kms:GenerateDataKey')), `${fn.Properties.Description} encrypts`).toBe(true);
      }
    }
    // The fan-out worker reads its queue: the event source needs Decrypt too.
    const [workerId] = s.functionByDescription('SQS FanOut');
    const worker = fnStatements(workerId);
    expect(worker.some((st) => asArray(st.Action).includes('sqs:ReceiveMessage'))).toBe(true);
    expect(worker.filter((st) => !Array.isArray(st.Resource) && flatten(st.Resource) === keyArn).flatMap((st) => asArray(st.Action))).toContain('kms:Decrypt');
    // No statement anywhere allows KMS on "*".
    for (const st of statementsOf(s).filter((x) => asArray(x.Action).some((a) => a.startsWith('kms:')))) expect(st.Resource, st.policy).not.toBe('*');
    expect(keyRef).toBeDefined();
  });

  it('passes cdk-nag', () => {
    expect(nagSummary(app)).toEqual([]);
  }, 120_000);
});

describe('customer-managed key context', () => {
  it('rejects both modes at once and anything but a key ARN', () => {
    expect(() => build({ customerManagedKey: 'true', kmsKeyArn: KEY_ARN })).toThrow(/exclude each other/);
    expect(() => build({ kmsKeyArn: 'arn:aws:kms:eu-central-1:111122223333:alias/chat' })).toThrow(/KMS key ARN/);
    expect(() => build({ kmsKeyArn: 'not-an-arn' })).toThrow(/KMS key ARN/);
    expect(() => build({ customerManagedKey: 'yes' })).toThrow(/true or false/);
  });
});

describe('removal policies', () => {
  it.each([
    ['AWS owned keys', {}],
    ['customer-managed key', { customerManagedKey: 'true' }],
  ] as const)('keep every stateful resource in prod, on delete and replacement, but not after a failed first deploy (%s)', (_name, context) => {
    const { s } = build(context);
    for (const type of STATEFUL) {
      const found = s.ofType(type);
      expect(found.length, type).toBeGreaterThan(0);
      for (const [id, r] of found) {
        expect(r.DeletionPolicy, `${type} ${id}`).toBe('RetainExceptOnCreate');
        expect(r.UpdateReplacePolicy, `${type} ${id}`).toBe('Retain');
      }
    }
    // Nothing is plain `Retain` (which orphans resources when the first deploy rolls back).
    for (const [id, r] of Object.entries(s.resources)) expect(r.DeletionPolicy, id).not.toBe('Retain');
    expect(s.only('AWS::DynamoDB::GlobalTable')[1].Properties.Replicas[0].DeletionProtectionEnabled).toBe(true);
    expect(s.only('AWS::Cognito::UserPool')[1].Properties.DeletionProtection).toBe('ACTIVE');
    expect(s.ofType('Custom::S3AutoDeleteObjects')).toHaveLength(0);
  });

  it('destroy the data of a non-prod stage with destroyOnRemoval=true: buckets emptied, no deletion protection', () => {
    const { app, s } = build({ stage: 'dev', destroyOnRemoval: 'true', customerManagedKey: 'true' });
    for (const type of STATEFUL) {
      for (const [id, r] of s.ofType(type)) expect(r.DeletionPolicy, `${type} ${id}`).toBe('Delete');
    }
    expect(s.only('AWS::DynamoDB::GlobalTable')[1].Properties.Replicas[0].DeletionProtectionEnabled).toBe(false);
    expect(s.only('AWS::Cognito::UserPool')[1].Properties.DeletionProtection).toBe('INACTIVE');
    // CloudFormation cannot delete a bucket with objects: CDK's auto-delete custom resource empties both first.
    const buckets = s.ofType('AWS::S3::Bucket').map(([id]) => id);
    const emptied = s.ofType('Custom::S3AutoDeleteObjects').map(([, r]) => r.Properties.BucketName.Ref);
    expect(emptied.sort()).toEqual(buckets.sort());
    expect(nagSummary(app)).toEqual([]);
  }, 120_000);

  it('are never destroyed in prod, and destroyOnRemoval contradicts deletionProtection', () => {
    expect(() => build({ destroyOnRemoval: 'true' })).toThrow(/not allowed for stage prod/);
    expect(() => build({ stage: 'prod', destroyOnRemoval: true })).toThrow(/not allowed for stage prod/);
    expect(() => build({ stage: 'dev', destroyOnRemoval: 'true', deletionProtection: 'true' })).toThrow(/contradicts/);
    // A dev stage keeps its data unless told otherwise.
    const { s } = build({ stage: 'dev' });
    expect(s.only('AWS::DynamoDB::GlobalTable')[1].DeletionPolicy).toBe('RetainExceptOnCreate');
  });
});

describe('stages', () => {
  it('name the stack ServerlessChat-<stage>, prod by default', () => {
    expect(stackNameFor('prod')).toBe('ServerlessChat-prod');
    expect(stackNameFor('dev')).toBe('ServerlessChat-dev');
    const { stack } = build();
    expect(stack.config.stage).toBe('prod');
    expect(() => build({ stage: 'Dev' })).toThrow(/lower-case/);
    expect(() => build({ stage: 'dev_1' })).toThrow(/lower-case/);
    expect(() => build({ stage: 'a'.repeat(21) })).toThrow(/lower-case/);
  });

  it('put dev and prod side by side in one account and region: no physical name, export or parameter clashes', () => {
    const app = newApp();
    const env = { account: '111122223333', region: 'eu-central-1' };
    const templates = ['prod', 'dev'].map((stage) => {
      const scoped = new App({ outdir: mkdtempSync(path.join(outRoot, 'cdk.out-')), context: { stage, 'aws:cdk:bundling-stacks': [] } });
      return Template.fromStack(new ChatStack(scoped, stackNameFor(stage), { env })).toJSON();
    });
    expect(app).toBeDefined();
    /** Every value a resource or output fixes account-wide: physical names, export names, SSM parameter names. */
    const fixedNames = (t: Json): string[] => {
      const names: string[] = [];
      for (const [id, r] of Object.entries(t.Resources as Record<string, Resource>)) {
        for (const [k, v] of Object.entries(r.Properties ?? {})) {
          // Cognito group names live inside their own pool; the alias carries the stack name.
          if (/Name$/.test(k) && typeof v === 'string' && !['AWS::Cognito::UserPoolGroup', 'AWS::ApiGatewayV2::Stage', 'AWS::ApiGatewayV2::Route'].includes(r.Type)) {
            if (r.Type === 'AWS::IAM::Policy') continue; // inline policy names are per role
            if (['AttributeName', 'IndexName', 'MetricName', 'StageName', 'ContentBasedDeduplication'].includes(k)) continue;
            names.push(`${r.Type}.${k}=${v}`);
          }
        }
        if (r.Type === 'AWS::SSM::Parameter') names.push(`${id}:${JSON.stringify(r.Properties.Name)}`);
      }
      for (const o of Object.values((t.Outputs ?? {}) as Record<string, Json>)) if (o.Export) names.push(`export ${JSON.stringify(o.Export.Name)}`);
      return names;
    };
    const [prod, dev] = templates.map(fixedNames);
    expect(prod!.filter((n) => dev!.includes(n))).toEqual([]);
    // Each stage's resources carry their stage tag.
    for (const [stage, t] of [['prod', templates[0]], ['dev', templates[1]]] as const) {
      const [, table] = Object.entries(t.Resources as Record<string, Json>).find(([, r]) => r.Type === 'AWS::DynamoDB::GlobalTable')!;
      expect(table.Properties.Replicas[0].Tags).toContainEqual({ Key: 'chat:stage', Value: stage });
    }
  });
});

describe('alarm topic policy (issue 19: CloudWatch could never publish)', () => {
  it.each([
    ['default', {}],
    ['customer-managed key', { customerManagedKey: 'true' }],
  ] as const)('allows cloudwatch.amazonaws.com sns:Publish, scoped to this account\'s alarms (%s)', (_name, context) => {
    const { s } = build(context);
    const [topicId] = s.only('AWS::SNS::Topic');
    const [, policy] = s.only('AWS::SNS::TopicPolicy', (p) => asArray(p.Properties.Topics).some((t: Json) => t.Ref === topicId));
    const statements = policy.Properties.PolicyDocument.Statement as Json[];
    const allow = statements.filter((st) => st.Effect === 'Allow');
    expect(allow).toHaveLength(1);
    const [st] = allow;
    expect(st.Principal).toEqual({ Service: 'cloudwatch.amazonaws.com' });
    expect(st.Action).toBe('sns:Publish');
    expect(st.Resource).toEqual({ Ref: topicId });
    expect(flatten(st.Condition.ArnLike['aws:SourceArn'])).toBe('arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*');
    expect(flatten(st.Condition.StringEquals['aws:SourceAccount'])).toBe('${AWS::AccountId}');
    // The TLS-only Deny from enforceSSL stays.
    expect(statements.some((x) => x.Effect === 'Deny' && x.Condition?.Bool?.['aws:SecureTransport'] === 'false')).toBe(true);
    // Every alarm notifies exactly this topic.
    for (const [id, alarm] of s.alarms()) expect(asArray(alarm.Properties.AlarmActions), id).toEqual([{ Ref: topicId }]);
  });
});
