/**
 * Issue 13 item 6: the opt-in perimeter (context `edgeProtection=true`,
 * `lib/perimeter.ts`): CloudFront in front of both APIs with AWS WAF rate
 * rules per client IP and per bearer token. Off by default.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { ChatStack } from '../../lib/chat-stack';
import { flatten, Synth, type Json } from './template';

const outRoot = mkdtempSync(path.join(tmpdir(), 'chat-cdk-edge-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

function build(context: Record<string, unknown>, region = 'us-east-1') {
  const app = new App({ outdir: mkdtempSync(path.join(outRoot, 'cdk.out-')), context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new ChatStack(app, 'EdgeChat', { env: { account: '123456789012', region } });
  return { app, stack, synth: Synth.of(stack) };
}

describe('edge protection (CloudFront + WAF), opt-in', { timeout: 120_000 }, () => {
  it('is off by default: no distribution, no web ACL', () => {
    const { synth } = build({});
    expect(synth.ofType('AWS::CloudFront::Distribution')).toEqual([]);
    expect(synth.ofType('AWS::WAFv2::WebACL')).toEqual([]);
  });

  it('puts both APIs behind CloudFront with a web ACL of rate rules per IP and per token', () => {
    const { synth } = build({ edgeProtection: 'true', edgeIpRateLimit: '500', edgeTokenRateLimit: '300' });
    const [aclId, acl] = synth.only('AWS::WAFv2::WebACL');
    expect(acl.Properties).toMatchObject({ Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
    const rules = Object.fromEntries((acl.Properties.Rules as Json[]).map((r) => [r.Name, r]));
    expect(rules.RatePerIp.Statement.RateBasedStatement).toMatchObject({ Limit: 500, AggregateKeyType: 'IP', EvaluationWindowSec: 300 });
    expect(rules.RatePerToken.Statement.RateBasedStatement).toMatchObject({ Limit: 300, AggregateKeyType: 'CUSTOM_KEYS', CustomKeys: [{ Header: { Name: 'authorization' } }] });
    expect(rules.RatePerWebSocketToken.Statement.RateBasedStatement).toMatchObject({ Limit: 300, CustomKeys: [{ QueryArgument: { Name: 'token' } }] });
    expect(rules.RatePerIp.Action.Block.CustomResponse).toMatchObject({ ResponseCode: 429 });
    expect(rules.IpReputation.Statement.ManagedRuleGroupStatement).toMatchObject({ VendorName: 'AWS', Name: 'AWSManagedRulesAmazonIpReputationList' });
    // No sampled requests: they would keep bearer tokens.
    expect(Object.values(rules).every((r: Json) => r.VisibilityConfig.SampledRequestsEnabled === false)).toBe(true);

    const distributions = synth.ofType('AWS::CloudFront::Distribution');
    expect(distributions).toHaveLength(2);
    for (const [, d] of distributions) {
      const config = d.Properties.DistributionConfig;
      expect(flatten(config.WebACLId)).toBe(`\${${aclId}.Arn}`);
      expect(config.DefaultCacheBehavior).toMatchObject({ ViewerProtocolPolicy: 'https-only', AllowedMethods: expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) });
      expect(config.Origins[0].CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
      expect(flatten(config.Origins[0].DomainName)).toMatch(/execute-api/);
    }
    const paths = distributions.map(([, d]) => d.Properties.DistributionConfig.Origins[0].OriginPath ?? '');
    expect(paths.sort()).toEqual(['', '/prod']);
    expect(Object.keys(synth.outputs)).toEqual(expect.arrayContaining(['EdgeHttpApiUrl', 'EdgeWebSocketUrl']));
  });

  it('passes cdk-nag with it on', () => {
    const { app } = build({ edgeProtection: true });
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  }, 120_000);

  it('outside us-east-1 takes an existing web ACL instead of creating one, and refuses to create one', () => {
    const arn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/chat/abcd-1234';
    const { synth } = build({ edgeProtection: 'true', edgeWebAclArn: arn }, 'eu-west-1');
    expect(synth.ofType('AWS::WAFv2::WebACL')).toEqual([]);
    for (const [, d] of synth.ofType('AWS::CloudFront::Distribution')) expect(d.Properties.DistributionConfig.WebACLId).toBe(arn);
    expect(() => build({ edgeProtection: 'true' }, 'eu-west-1')).toThrow(/us-east-1.*edgeWebAclArn/);
  });

  it('validates its context', () => {
    expect(() => build({ edgeIpRateLimit: '100' })).toThrow(/only apply with edgeProtection=true/);
    expect(() => build({ edgeProtection: 'true', edgeIpRateLimit: '5' })).toThrow(/at least 10/);
    expect(() => build({ edgeProtection: 'true', edgeWebAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/y' })).toThrow(/CLOUDFRONT/);
  });
});
