/**
 * CDK entry point (`cdk.json`: `npx tsx bin/app.ts`). Synthesizes offline: the
 * stack performs no context lookups, so no AWS credentials are needed until
 * `cdk deploy`. Without CDK_DEFAULT_ACCOUNT/REGION the stack is
 * environment-agnostic and deploys to whatever the CLI profile targets.
 */
import { App } from 'aws-cdk-lib';
import { ChatStack } from '../lib/chat-stack';

const app = new App();

new ChatStack(app, 'ServerlessChat', {
  description: 'Serverless chat: API Gateway HTTP + WebSocket APIs, Lambda, DynamoDB, S3, Cognito or OIDC',
  env:
    process.env.CDK_DEFAULT_ACCOUNT || process.env.CDK_DEFAULT_REGION
      ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
      : undefined,
});

app.synth();
