/**
 * CDK assertions for data governance (SPEC §10, issue 19): the audit
 * archive. (Erasure and export queues and retention follow in this file.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { httpRoutes } from '../../functions/routes';
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
