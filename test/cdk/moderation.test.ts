/**
 * SPEC §9 in the template: the `ReportSla` alarm on the oldest open
 * report's age (threshold `reportSlaHours`, default 24 h), the scheduled
 * function publishing it, and the word filter reaching every function.
 * Bundling is skipped: only configuration is checked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { ChatStack } from '../../lib/chat-stack';
import { APP_METRICS_NAMESPACE, APP_METRICS_SERVICE } from '../../lib/operations';
import { Synth, type Json } from './template';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const outRoot = mkdtempSync(path.join(tmpdir(), 'chat-cdk-moderation-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

function synth(context: Record<string, unknown> = {}): Synth {
  const app = new App({ outdir: mkdtempSync(path.join(outRoot, 'cdk.out-')), context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  return Synth.of(new ChatStack(app, 'ModerationChat'));
}

const byType = (s: Synth, type: string) => Object.entries(s.resources).filter(([, r]) => r.Type === type);
const slaAlarm = (s: Synth) => byType(s, 'AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.MetricName === 'OldestOpenReportAgeSeconds');
const functionNamed = (s: Synth, description: string) => byType(s, 'AWS::Lambda::Function').find(([, f]) => f.Properties.Description === description);

describe('moderation in the template (SPEC §9)', () => {
  const s = synth();

  it('alarms when the oldest open report is older than 24 hours, on the metric the scheduled function publishes', () => {
    const found = slaAlarm(s);
    expect(found, 'no ReportSla alarm').toBeDefined();
    const p = found![1].Properties;
    expect(p).toMatchObject({ Namespace: APP_METRICS_NAMESPACE, Statistic: 'Maximum', Period: 300, Threshold: 24 * 3600, ComparisonOperator: 'GreaterThanThreshold' });
    expect(p.Dimensions).toEqual([{ Name: 'service', Value: APP_METRICS_SERVICE }]);
    expect(p.AlarmActions).toHaveLength(1);
    expect(p.AlarmDescription).toContain('REPORT_SLA_HOURS');
  });

  it('runs the ReportSla function every 5 minutes with REPORT_SLA_HOURS, reading the table only', () => {
    const fn = functionNamed(s, 'Schedule ReportSla');
    expect(fn, 'no ReportSla function').toBeDefined();
    const [fnId, resource] = fn!;
    expect(resource.Properties.Environment.Variables.REPORT_SLA_HOURS).toBe('24');
    const rules = byType(s, 'AWS::Events::Rule').filter(([, r]) => (r.Properties.Targets as Json[] | undefined)?.some((t) => JSON.stringify(t.Arn).includes(fnId)));
    expect(rules).toHaveLength(1);
    expect(rules[0]![1].Properties.ScheduleExpression).toBe('rate(5 minutes)');
    const permission = byType(s, 'AWS::Lambda::Permission').find(([, p]) => JSON.stringify(p.Properties.FunctionName).includes(fnId));
    expect(permission![1].Properties.Principal).toBe('events.amazonaws.com');
  });

  it('takes reportSlaHours and blockedWords from context', { timeout: 180_000 }, () => {
    const custom = synth({ reportSlaHours: '4', blockedWords: 'darn, heck' });
    expect(slaAlarm(custom)![1].Properties.Threshold).toBe(4 * 3600);
    const send = functionNamed(custom, 'POST /v1/chats/{chatId}/messages')!;
    expect(send[1].Properties.Environment.Variables.BLOCKED_WORDS).toBe('darn,heck');
    expect(functionNamed(s, 'POST /v1/chats/{chatId}/messages')![1].Properties.Environment.Variables.BLOCKED_WORDS).toBeUndefined();
  });
});
