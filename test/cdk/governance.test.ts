/**
 * CDK assertions for data governance (SPEC §10, issue 19): the audit
 * archive, the governance job queue with its dead-letter queue and worker,
 * export and retention lifecycle rules, and the retention setting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { httpRoutes, queueRoutes } from '../../functions/routes';
import { ChatStack } from '../../lib/chat-stack';
import { asArray, Synth } from './template';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const outRoot = mkdtempSync(path.join(tmpdir(), 'chat-cdk-governance-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

/** Synthesized without bundling: these assertions are about resources, not code. */
function synth(context: Record<string, unknown> = {}): Synth {
  const app = new App({ outdir: mkdtempSync(path.join(outRoot, 'cdk.out-')), context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  return Synth.of(new ChatStack(app, 'GovernanceTest'));
}

describe('audit (SPEC §10)', () => {
  it('archives chat.audit events from the stack bus for auditRetentionDays, and nothing without it', () => {
    expect(synth().ofType('AWS::Events::Archive')).toEqual([]);
    const s = synth({ auditRetentionDays: '2555' });
    const [, archive] = s.only('AWS::Events::Archive');
    const [busId] = s.only('AWS::Events::EventBus');
    expect(archive.Properties.RetentionDays).toBe(2555);
    expect(archive.Properties.SourceArn).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
    expect(archive.Properties.EventPattern).toEqual({ source: ['chat'], 'detail-type': ['chat.audit'] });
  }, 120_000);

  it('rejects a retention that is not a whole number of days up to ten years', () => {
    expect(() => synth({ auditRetentionDays: '1.5' })).toThrow(/auditRetentionDays must be a whole number of days/);
    expect(() => synth({ auditRetentionDays: 5000 })).toThrow(/auditRetentionDays/);
    expect(() => synth({ auditRetentionDays: 'forever' })).toThrow(/auditRetentionDays/);
  }, 120_000);

  it('lets every audited admin/support route put events on the bus', () => {
    const s = synth();
    const [busId] = s.only('AWS::Events::EventBus');
    for (const name of ['PutUser', 'AssignChat', 'UpdateChat', 'DeleteMessage', 'AddParticipants', 'RemoveParticipant', 'SendMessage']) {
      const route = httpRoutes.find((r) => r.name === name)!;
      const [fnId] = s.functionByDescription(`${route.method} ${route.path}`);
      const puts = s.roleOf(fnId).statements.filter((st) => asArray(st.Action).includes('events:PutEvents'));
      expect(puts.map((st) => st.Resource), name).toEqual([{ 'Fn::GetAtt': [busId, 'Arn'] }]);
    }
  }, 120_000);
});

describe('erasure and export jobs (SPEC §10)', () => {
  it('a FIFO job queue with a dead-letter queue after 5 receives, consumed one job at a time by the governance worker', () => {
    const s = synth();
    const queues = s.ofType('AWS::SQS::Queue');
    const [jobId, jobs] = queues.find(([id]) => id.startsWith('GovernanceQueue'))!;
    const [dlqId, dlq] = queues.find(([id]) => id.startsWith('GovernanceDeadLetterQueue'))!;
    expect(jobs.Properties).toMatchObject({ FifoQueue: true, VisibilityTimeout: 720, RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 } });
    expect(dlq.Properties).toMatchObject({ FifoQueue: true, MessageRetentionPeriod: 14 * 86_400 });
    const [workerId, worker] = s.functionByDescription('SQS Governance');
    expect(worker.Properties.Timeout).toBe(120);
    const [, mapping] = s.only('AWS::Lambda::EventSourceMapping', (r) => r.Properties.FunctionName.Ref === workerId);
    expect(mapping.Properties).toMatchObject({ EventSourceArn: { 'Fn::GetAtt': [jobId, 'Arn'] }, BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    // Only the routes that enqueue jobs (and the worker, which continues long erasures) may send to it.
    const senders = [...httpRoutes, ...queueRoutes].filter((r) => (r.permissions as readonly string[]).includes('jobs:send'));
    expect(senders.map((r) => r.name).sort()).toEqual(['EraseMe', 'EraseUser', 'ExportMe', 'ExportUser', 'Governance']);
    for (const [id, fn] of s.chatFunctions()) {
      expect(fn.Properties.Environment.Variables.GOVERNANCE_QUEUE_URL, id).toEqual({ Ref: jobId });
      const sends = s.roleOf(id).statements.filter((st) => asArray(st.Action).includes('sqs:SendMessage') && JSON.stringify(st.Resource).includes(jobId));
      const route = [...httpRoutes, ...queueRoutes].find((r) => fn.Properties.Description === ('method' in r ? `${r.method} ${r.path}` : `SQS ${r.name}`));
      if (route) expect(sends.length > 0, id).toBe((route.permissions as readonly string[]).includes('jobs:send'));
    }
  }, 120_000);

  it('exports expire after exportRetentionDays (default 7) under exports/', () => {
    const rules = (s: Synth) => s.attachmentBucket()[1].Properties.LifecycleConfiguration.Rules as { Id: string; Prefix?: string; ExpirationInDays?: number; Status: string }[];
    expect(rules(synth()).find((r) => r.Id === 'expire-exports')).toMatchObject({ Prefix: 'exports/', ExpirationInDays: 7, Status: 'Enabled' });
    expect(rules(synth({ exportRetentionDays: 2 })).find((r) => r.Id === 'expire-exports')).toMatchObject({ ExpirationInDays: 2 });
  }, 120_000);
});

describe('retention (SPEC §10)', () => {
  it('messageRetentionDays: the functions expire messages (TTL) and the bucket expires attachment objects with them; unset keeps both forever', () => {
    const rules = (s: Synth) => s.attachmentBucket()[1].Properties.LifecycleConfiguration.Rules as { Id: string; Prefix?: string; ExpirationInDays?: number }[];
    const kept = synth();
    expect(rules(kept).map((r) => r.Id)).not.toContain('expire-attachments-with-messages');
    for (const [id, fn] of kept.chatFunctions()) expect(fn.Properties.Environment.Variables.MESSAGE_RETENTION_DAYS, id).toBeUndefined();

    const s = synth({ messageRetentionDays: '365' });
    expect(rules(s).find((r) => r.Id === 'expire-attachments-with-messages')).toMatchObject({ Prefix: 'chats/', ExpirationInDays: 365 });
    for (const [id, fn] of s.chatFunctions()) expect(fn.Properties.Environment.Variables.MESSAGE_RETENTION_DAYS, id).toBe('365');
    const [, table] = s.only('AWS::DynamoDB::GlobalTable');
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect(() => synth({ messageRetentionDays: 'a year' })).toThrow(/messageRetentionDays/);
  }, 120_000);
});
