/**
 * Issue 13 items 11–18 as CloudFormation: the cursor key (a generated
 * Secrets Manager secret, passed to every function as a dynamic reference,
 * never as a literal), and the rest of the round's template rules.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { ChatStack } from '../../lib/chat-stack';
import { flatten, Synth, type Json } from './template';

const outRoot = mkdtempSync(path.join(tmpdir(), 'chat-cdk-sec-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

function build(context: Record<string, unknown> = {}) {
  const app = new App({ outdir: mkdtempSync(path.join(outRoot, 'cdk.out-')), context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new ChatStack(app, 'SecChat', { env: { account: '123456789012', region: 'us-east-1' } });
  return { app, stack, synth: Synth.of(stack) };
}

const defaults = build();

describe('item 11: the cursor key', { timeout: 120_000 }, () => {
  it('is a generated secret that every function reads as a {{resolve:secretsmanager}} reference', () => {
    const [secretId, secret] = defaults.synth.only('AWS::SecretsManager::Secret');
    expect(secret.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64 });
    const fns = defaults.synth.chatFunctions();
    expect(fns.length).toBeGreaterThan(10);
    for (const [, fn] of fns) {
      const value = fn.Properties.Environment.Variables.CURSOR_SECRET as Json;
      expect(flatten(value)).toBe(`{{resolve:secretsmanager:\${${secretId}}:SecretString:::}}`);
    }
  });
});


describe('item 12: which tokens and which roles claim', { timeout: 120_000 }, () => {
  const env = (synth: Synth) => synth.chatFunctions()[0]![1].Properties.Environment.Variables as Record<string, Json>;
  const OIDC = { oidcIssuer: 'https://issuer.example.com', oidcAudience: 'chat', oidcJwksUri: 'https://issuer.example.com/jwks' };

  it('Cognito mode accepts access tokens only by default, ID tokens only when told to', () => {
    expect(env(defaults.synth)).toMatchObject({ AUTH_MODE: 'cognito', COGNITO_TOKEN_USE: 'access' });
    expect(env(defaults.synth).OIDC_ROLES_CLAIM).toBeUndefined();
    expect(env(build({ cognitoTokenUse: 'id' }).synth)).toMatchObject({ COGNITO_TOKEN_USE: 'id' });
    expect(() => build({ cognitoTokenUse: 'both' })).toThrow(/access or id/);
  });

  it('OIDC mode reads roles from `roles` or the configured claim', () => {
    expect(env(build(OIDC).synth)).toMatchObject({ AUTH_MODE: 'oidc', OIDC_ROLES_CLAIM: 'roles' });
    expect(env(build({ ...OIDC, oidcRolesClaim: 'groups' }).synth)).toMatchObject({ OIDC_ROLES_CLAIM: 'groups' });
    expect(() => build({ oidcRolesClaim: 'groups' })).toThrow(/oidcRolesClaim only applies/);
    expect(() => build({ ...OIDC, cognitoTokenUse: 'id' })).toThrow(/cognitoTokenUse only applies/);
  });
});

describe('item 13: users cannot edit their display name in Cognito', { timeout: 120_000 }, () => {
  it('the app client may write email only, not name', () => {
    const [, appClient] = defaults.synth.only('AWS::Cognito::UserPoolClient');
    expect(appClient.Properties.WriteAttributes).toEqual(['email']);
    expect(appClient.Properties.WriteAttributes).not.toContain('name');
  });
});

describe('item 15: GuardDuty Malware Protection for S3, opt-in', { timeout: 180_000 }, () => {
  it('is off by default', () => {
    expect(defaults.synth.ofType('AWS::GuardDuty::MalwareProtectionPlan')).toEqual([]);
    const policies = defaults.synth.ofType('AWS::S3::BucketPolicy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
    expect(policies.some((st) => st.Sid === 'DenyMalware')).toBe(false);
  });

  it('with malwareProtection=true scans chats/ with tagging, and denies downloads of infected objects', () => {
    const { synth, app } = build({ malwareProtection: 'true' });
    const [bucketId] = synth.attachmentBucket();
    const [, plan] = synth.only('AWS::GuardDuty::MalwareProtectionPlan');
    expect(plan.Properties.ProtectedResource.S3Bucket).toEqual({ BucketName: { Ref: bucketId }, ObjectPrefixes: ['chats/'] });
    expect(plan.Properties.Actions).toEqual({ Tagging: { Status: 'ENABLED' } });
    const roleId = plan.Properties.Role['Fn::GetAtt'][0] as string;
    expect(synth.resources[roleId]!.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'malware-protection-plan.guardduty.amazonaws.com' });
    const [, policy] = synth.only('AWS::S3::BucketPolicy', (p) => flatten(p.Properties.Bucket) === `\${${bucketId}}`);
    const deny = (policy.Properties.PolicyDocument.Statement as Json[]).find((st) => st.Sid === 'DenyMalware');
    expect(deny).toMatchObject({ Effect: 'Deny', Action: ['s3:GetObject', 's3:GetObjectVersion'], Condition: { StringEquals: { 's3:ExistingObjectTag/GuardDutyMalwareScanStatus': 'THREATS_FOUND' } } });
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
