/**
 * The CDK context variants every deployment check runs over: the default
 * stack and each opt-in that adds or changes resources (SPEC §10 and the
 * README's configuration table). Used by `test/cdk/limits.test.ts` (the
 * 500-resource quota) and `scripts/validate-template.ts` (`.ci/run`), so a new
 * opt-in added here is checked by both.
 */
const PUSH_APPLICATIONS = JSON.stringify({
  apns: 'arn:aws:sns:eu-central-1:111122223333:app/APNS/chat',
  apnsSandbox: 'arn:aws:sns:eu-central-1:111122223333:app/APNS_SANDBOX/chat',
  fcm: 'arn:aws:sns:eu-central-1:111122223333:app/GCM/chat',
});

export const CONTEXT_VARIANTS: Record<string, Record<string, string>> = {
  default: {},
  oidc: { oidcIssuer: 'https://id.example.com/', oidcAudience: 'chat', oidcJwksUri: 'https://id.example.com/.well-known/jwks.json' },
  tracingOff: { tracing: 'false' },
  customerManagedKey: { customerManagedKey: 'true' },
  kmsKeyArn: { kmsKeyArn: 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
  push: { pushPlatformApplications: PUSH_APPLICATIONS },
  devStage: { stage: 'dev', destroyOnRemoval: 'true' },
  // Every opt-in at once: the largest template this app can synthesize.
  everything: {
    stage: 'staging',
    destroyOnRemoval: 'true',
    customerManagedKey: 'true',
    pushPlatformApplications: PUSH_APPLICATIONS,
    malwareProtection: 'true',
    auditRetentionDays: '365',
    apiGatewayCloudWatchRole: 'create',
    alarmEmail: 'ops@example.com',
    edgeProtection: 'true',
    messageRetentionDays: '30',
    blockedWords: 'spam,scam',
  },
};

/**
 * CloudFormation's quota is 500 resources per stack; the stack must stay at
 * or below this so that the next routes and alarms still fit.
 */
export const RESOURCE_BUDGET = 450;
export const CLOUDFORMATION_RESOURCE_LIMIT = 500;
