/**
 * CDK entry point (`cdk.json`: `npx tsx bin/app.ts`). Synthesizes offline: the
 * stack performs no context lookups, so no AWS credentials are needed until
 * `cdk deploy`. Without CDK_DEFAULT_ACCOUNT/REGION the stack is
 * environment-agnostic and deploys to whatever the CLI profile targets.
 *
 * cdk-nag's AwsSolutions checks run on every synth (cdk-nag 3: a CDK policy
 * validation plugin, not an aspect): an unacknowledged error fails `cdk synth`
 * and the findings land in `cdk.out/policy-validation-report.json`.
 * Acknowledgments sit next to the resources they concern, each with its reason.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ChatStack } from '../lib/chat-stack';
import { readStage, stackNameFor } from '../lib/context';

const app = new App();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

// Context `stage` (default prod) names the stack, so `-c stage=dev` deploys a second, independent stack beside prod.
new ChatStack(app, stackNameFor(readStage(app.node)), {
  description: 'Serverless chat: API Gateway HTTP + WebSocket APIs, Lambda, DynamoDB, S3, Cognito or OIDC',
  env:
    process.env.CDK_DEFAULT_ACCOUNT || process.env.CDK_DEFAULT_REGION
      ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
      : undefined,
});

app.synth();
