import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat, CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  LogGroupLogDestination,
  PayloadFormatVersion,
  WebSocketApi,
  WebSocketRoute,
  WebSocketStage,
  type HttpStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { CORS } from '../functions/api-gateway';
import { GLOBAL_SECONDARY_INDEXES, KEY, TTL_ATTRIBUTE, type GsiDefinition } from '../functions/data/table';
import { eventRoutes, httpRoutes, queueRoutes, scheduledRoutes, wsRoutes, type HttpRoute as HttpRouteEntry, type Permission } from '../functions/routes';
import { Role } from '../functions/schemas';
import { ChatFunction, PROJECT_ROOT } from './chat-function';
import { AuditArchive } from './audit';
import { FunctionRoles } from './function-roles';
import { readContext, type ChatStackContext } from './context';
import { customerManagedKey } from './encryption';
import { ChatOperations } from './operations';
import { EdgeProtection } from './perimeter';
import { AttachmentMalwareProtection } from './malware-protection';

/** The fan-out worker's timeout: delivering one batch to 10 chats of 1,000 participants with bounded concurrency. */
export const FANOUT_TIMEOUT = Duration.seconds(60);
/**
 * Receives of a fan-out job before it moves to the dead-letter queue. While a
 * job is retried, its chat's later events wait behind it (one FIFO message
 * group per chat), so the retries are few: a failing job holds its chat for at
 * most `FANOUT_MAX_RECEIVES × FANOUT_VISIBILITY_TIMEOUT` (3 × 90 s = 4.5 min),
 * then the chat's events flow again and the job waits in the DLQ (alarm
 * `FanOutDeadLetters`, README "Runbook") for a redrive.
 */
export const FANOUT_MAX_RECEIVES = 3;
/**
 * The fan-out queue's visibility timeout: the worker's timeout plus 30 s for
 * Lambda to return a failed or timed-out batch, not AWS's generic "6 × the
 * function timeout" (which would make each retry of a failed job wait 6 min).
 * Lambda requires at least the function timeout. The cost of the shorter
 * window: a batch Lambda could not invoke for 90 s (account concurrency
 * exhausted, `LambdaThrottleRate` alarm) counts a receive and can reach the DLQ
 * without having failed; the redrive delivers it then.
 */
export const FANOUT_VISIBILITY_TIMEOUT = FANOUT_TIMEOUT.plus(Duration.seconds(30));
/**
 * The governance worker (SPEC §10): an erasure stops between batches ~20 s
 * before this and continues in a new job, so a run never times out mid-batch.
 */
const GOVERNANCE_TIMEOUT = Duration.seconds(120);
/** The push worker: a few SNS calls per device, ≤ 10 devices. */
const PUSH_TIMEOUT = Duration.seconds(30);

/** WebSocket stage name; part of the client URL and of the `@connections` ARNs. */
export const WEBSOCKET_STAGE_NAME = 'prod';

/**
 * HTTP API access log line (JSON). No query string and no headers: `?token=`
 * and `Authorization` carry bearer tokens.
 */
const HTTP_ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
};

/** WebSocket API access log line (JSON): one per connect, message and disconnect; never the `?token=` query. */
const WEBSOCKET_ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  connectionId: '$context.connectionId',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  status: '$context.status',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integration.status',
  integrationError: '$context.integration.error',
  error: '$context.error.message',
  disconnectStatusCode: '$context.disconnectStatusCode',
};

/** How long access logs and S3 server access logs are kept. */
const ACCESS_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

export type ChatStackProps = StackProps;

/**
 * The deployed chat service (SPEC §1): one Lambda function per entry of the
 * route table (`functions/routes.ts`) behind an HTTP API and a WebSocket API,
 * one DynamoDB table (`functions/data/table.ts`), one private attachment
 * bucket, and a Cognito user pool unless an OIDC issuer is given as context
 * (see `lib/context.ts`). No resource has a physical name, so the stack can be
 * deployed more than once per account and region.
 *
 * The handlers verify JWTs themselves (aws-jwt-verify, SPEC §2) rather than
 * through an API Gateway authorizer: the local stack then behaves exactly like
 * AWS, errors stay RFC 9457 problem documents, and `$connect` can read
 * `?token=` (browsers cannot set headers on a WebSocket upgrade).
 */
export class ChatStack extends Stack {
  readonly config: ChatStackContext;
  readonly table: dynamodb.TableV2;
  readonly bucket: s3.Bucket;
  /** Offline notifications (SPEC §5): rules on this bus can send push notifications. */
  readonly eventBus: events.EventBus;
  /** `chat.audit` events kept for context `auditRetentionDays` (unset: none). */
  readonly auditArchive?: AuditArchive;
  /** Events of large chats, one FIFO group per chat, consumed by the fan-out worker. */
  readonly fanOutQueue: sqs.Queue;
  /** Jobs the fan-out worker failed `FANOUT_MAX_RECEIVES` (3) times. */
  readonly fanOutDeadLetterQueue: sqs.Queue;
  /** Opt-in (`malwareProtection=true`): GuardDuty scans attachments; infected ones cannot be downloaded. */
  readonly malwareProtection?: AttachmentMalwareProtection;
  /** HMAC key of list cursors (`CURSOR_SECRET`, `functions/domain/cursors.ts`). */
  readonly cursorSecret: secretsmanager.Secret;
  /** Erasure and export jobs (SPEC §10), one FIFO group per user, consumed by the governance worker. */
  readonly jobQueue: sqs.Queue;
  /** Governance jobs that failed 5 times (an erasure there keeps its checkpoint: redrive it to resume). */
  readonly jobDeadLetterQueue: sqs.Queue;
  /** Only with push configured: events the push worker could not take (after EventBridge's retries). */
  pushDeadLetterQueue?: sqs.Queue;
  readonly userPool?: cognito.UserPool;
  readonly userPoolClient?: cognito.UserPoolClient;
  readonly httpApi: HttpApi;
  readonly httpStage: HttpStage;
  readonly webSocketApi: WebSocketApi;
  readonly webSocketStage: WebSocketStage;
  /** S3 server access logs of the attachment bucket. */
  readonly accessLogBucket: s3.Bucket;
  readonly httpAccessLogs: logs.LogGroup;
  /** Only with context `apiGatewayCloudWatchRole=create|existing`: API Gateway needs the account's CloudWatch role for them. */
  readonly webSocketAccessLogs?: logs.LogGroup;
  /** Alarms, the alarm topic and the dashboard. */
  readonly operations: ChatOperations;
  /** CloudFront + WAF in front of the APIs, with context `edgeProtection=true` (`lib/perimeter.ts`). */
  readonly edge?: EdgeProtection;
  /** By route name. */
  readonly functions: Record<string, ChatFunction> = {};
  /** The functions' execution roles, one per distinct permission set (`lib/function-roles.ts`: the 500-resource limit). */
  readonly functionRoles: FunctionRoles;
  /** The customer-managed key of every store, topic and log group (context `customerManagedKey`/`kmsKeyArn`, `lib/encryption.ts`). */
  readonly encryptionKey?: kms.IKey;
  /**
   * Of the table, buckets, user pool, key and log groups: RETAIN_ON_UPDATE_OR_DELETE
   * (kept when the stack is deleted or a replacement is made, but removed when
   * a failed first deploy rolls back, so nothing is orphaned), or DESTROY with
   * `destroyOnRemoval=true` on a non-prod stage.
   */
  readonly dataRemovalPolicy: RemovalPolicy;

  constructor(scope: Construct, id: string, props?: ChatStackProps) {
    super(scope, id, props);
    // S3 server access logs are granted by a bucket policy on the log bucket rather than the legacy
    // LogDeliveryWrite ACL, so both buckets keep ACLs disabled (BucketOwnerEnforced).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.config = readContext(this.node);
    const { corsOrigins, oidc } = this.config;
    this.dataRemovalPolicy = this.config.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    // Cost allocation and "which stage is this?" in the console; names never need the stage (none are physical).
    Tags.of(this).add('chat:stage', this.config.stage);
    this.encryptionKey = customerManagedKey(this, this.config, this.dataRemovalPolicy);

    this.table = this.createTable();
    this.accessLogBucket = this.createAccessLogBucket();
    this.bucket = this.createBucket(corsOrigins, this.accessLogBucket);
    if (this.config.malwareProtection) this.malwareProtection = new AttachmentMalwareProtection(this, 'MalwareProtection', { bucket: this.bucket, encryptionKey: this.encryptionKey });
    this.cursorSecret = new secretsmanager.Secret(this, 'CursorSecret', {
      description: 'HMAC key that signs list cursors (support queue, chats list, sync); rotating it only sends clients back to the first page',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      // The stack's customer-managed key when there is one (KMS modes), else Secrets Manager's AWS-managed key.
      encryptionKey: this.encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.cursorSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The cursor key signs pagination positions only; rotating it (manually, then redeploying) invalidates outstanding cursors, which clients recover from by starting again (400 invalid cursor).',
    });
    this.eventBus = new events.EventBus(this, 'NotificationBus', {
      description: 'chat.message.offline events for recipients without an open connection; chat.audit events (admin and support actions)',
      kmsKey: this.encryptionKey,
    });
    if (this.config.auditRetentionDays) {
      this.auditArchive = new AuditArchive(this, 'Audit', { eventBus: this.eventBus, retentionDays: this.config.auditRetentionDays, encryptionKey: this.encryptionKey });
    }
    this.fanOutDeadLetterQueue = new sqs.Queue(this, 'FanOutDeadLetterQueue', {
      fifo: true,
      retentionPeriod: Duration.days(14),
      ...this.queueEncryption(),
      enforceSSL: true,
    });
    this.fanOutQueue = new sqs.Queue(this, 'FanOutQueue', {
      fifo: true,
      // High-throughput FIFO: ordering (and throughput limits) per chat, not per queue.
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      // The worker's real need, not 6 × its timeout: a failed job blocks its chat's group while it waits (see the constant).
      visibilityTimeout: FANOUT_VISIBILITY_TIMEOUT,
      retentionPeriod: Duration.days(1),
      ...this.queueEncryption(),
      enforceSSL: true,
      deadLetterQueue: { queue: this.fanOutDeadLetterQueue, maxReceiveCount: FANOUT_MAX_RECEIVES },
    });

    this.jobDeadLetterQueue = new sqs.Queue(this, 'GovernanceDeadLetterQueue', {
      fifo: true,
      retentionPeriod: Duration.days(14),
      ...this.queueEncryption(),
      enforceSSL: true,
    });
    this.jobQueue = new sqs.Queue(this, 'GovernanceQueue', {
      fifo: true,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      // AWS's guidance for Lambda event sources: at least 6 × the function timeout. A crashed run resumes after it.
      visibilityTimeout: Duration.seconds(GOVERNANCE_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(14),
      ...this.queueEncryption(),
      enforceSSL: true,
      deadLetterQueue: { queue: this.jobDeadLetterQueue, maxReceiveCount: 5 },
    });

    if (!oidc) {
      this.userPool = this.createUserPool();
      this.userPoolClient = this.userPool.addClient('AppClient', {
        generateSecret: false,
        authFlows: { userPassword: true, userSrp: true },
        // Clients sign in with the Cognito API (SRP or password), not the hosted UI; CDK would
        // otherwise enable the implicit and code grants with an example.com callback.
        disableOAuth: true,
        preventUserExistenceErrors: true,
        // The display name (`name`) is set by operators (admin API or PUT /v1/users/{id}), never by users
        // themselves: a user could otherwise rename to "Dr. Smith (Clinic Support)" (issue 13 item 13).
        // `email` is required by the pool, and Cognito requires required attributes to be writable.
        writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true }),
      });
    }

    const accessLogs = { retention: ACCESS_LOG_RETENTION, removalPolicy: this.dataRemovalPolicy, encryptionKey: this.encryptionKey };
    this.httpAccessLogs = new logs.LogGroup(this, 'HttpApiAccessLogs', accessLogs);
    // WebSocket (unlike HTTP API) access logs need the account-wide API Gateway CloudWatch role (createApiGatewayAccountRole).
    const webSocketAccessLogs = this.config.apiGatewayCloudWatchRole !== 'none';
    if (webSocketAccessLogs) this.webSocketAccessLogs = new logs.LogGroup(this, 'WebSocketApiAccessLogs', accessLogs);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      // Not unique in AWS, but what the console lists: the stage shows which stack an API belongs to.
      apiName: `${this.stackName}-http`,
      description: 'Chat HTTP API',
      // The default stage HttpApi creates takes no throttling; `addStage` below creates `$default` instead.
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: corsOrigins,
        allowHeaders: [...CORS.allowHeaders],
        allowMethods: CORS.allowMethods.map((m) => CorsHttpMethod[m]),
        exposeHeaders: [...CORS.exposeHeaders],
        maxAge: Duration.seconds(CORS.maxAgeSeconds),
      },
    });
    this.httpStage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: this.config.httpThrottle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.httpAccessLogs),
        format: AccessLogFormat.custom(JSON.stringify(HTTP_ACCESS_LOG_FORMAT)),
      },
    });

    this.webSocketApi = new WebSocketApi(this, 'WebSocketApi', {
      apiName: `${this.stackName}-websocket`,
      description: 'Chat WebSocket API',
      routeSelectionExpression: '$request.body.action',
    });
    this.webSocketStage = new WebSocketStage(this, 'WebSocketStage', {
      webSocketApi: this.webSocketApi,
      stageName: WEBSOCKET_STAGE_NAME,
      autoDeploy: true,
      throttle: this.config.wsThrottle,
      accessLogSettings: this.webSocketAccessLogs && {
        destination: new LogGroupLogDestination(this.webSocketAccessLogs),
        format: AccessLogFormat.custom(JSON.stringify(WEBSOCKET_ACCESS_LOG_FORMAT)),
      },
    });
    if (this.config.apiGatewayCloudWatchRole === 'create') this.createApiGatewayAccountRole();
    if (!webSocketAccessLogs) {
      Validations.of(this.webSocketStage).acknowledge({
        id: 'AwsSolutions-APIG1',
        reason:
          'WebSocket access logs need the account-wide API Gateway CloudWatch role, which this stack does not set unless told (context apiGatewayCloudWatchRole=create or existing, README "Deploy and verify"); every function still logs each request.',
      });
    }

    const environment = this.functionEnvironment();
    this.functionRoles = new FunctionRoles(this, 'FunctionRoles', {
      table: this.table,
      bucket: this.bucket,
      eventBus: this.eventBus,
      fanOutQueue: this.fanOutQueue,
      jobQueue: this.jobQueue,
      encryptionKey: this.encryptionKey,
      webSocket: { apiId: this.webSocketApi.apiId, stageName: WEBSOCKET_STAGE_NAME },
      pushApplications: Object.values(this.config.pushPlatformApplications ?? {}),
      tracing: this.config.tracing,
    });

    for (const route of httpRoutes) {
      if (/^\/dev(\/|$)/.test(route.path)) {
        // SPEC §1: dev shortcuts exist only in the local stack.
        throw new Error(`Route ${route.name} (${route.path}) must not be deployed`);
      }
      const fn = this.addFunction(route.name, route.handler, route.permissions, 'http', `${route.method} ${route.path}`, environment, undefined, (route as HttpRouteEntry).assets);
      const httpRoute = new HttpRoute(this.httpApi, route.name, {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: new HttpLambdaIntegration(`${route.name}Integration`, fn.function, {
          payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
        }),
      });
      Validations.of(httpRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          route.auth === 'none'
            ? `${route.method} ${route.path} is public on purpose (SPEC: liveness check, no data).`
            : 'The handler verifies the bearer JWT itself with aws-jwt-verify (Cognito or the configured OIDC issuer) before any work, so the local stack runs the same code and 401s stay problem+json (README, "Architecture").',
      });
    }

    for (const route of wsRoutes) {
      const fn = this.addFunction(route.name, route.handler, route.permissions, 'websocket', `WebSocket ${route.routeKey}`, environment);
      // No authorizer on $connect: the handler verifies `?token=` itself (see the class comment).
      const wsRoute = new WebSocketRoute(this.webSocketApi, route.name, {
        webSocketApi: this.webSocketApi,
        routeKey: route.routeKey,
        integration: new WebSocketLambdaIntegration(`${route.name}Integration`, fn.function),
        returnResponse: route.returnResponse,
      });
      Validations.of(wsRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          route.routeKey === '$connect'
            ? '$connect verifies the ?token= JWT itself with aws-jwt-verify (browsers cannot set headers on a WebSocket upgrade) and refuses the upgrade with 401.'
            : 'Only a connection accepted by the authenticating $connect handler can send frames; every handler acts as the user recorded for that connection.',
      });
    }

    // Background functions (no API in front) and the EventBridge rules that invoke some of them: the operations alarms watch both.
    const workers: string[] = queueRoutes.map((r) => r.name);
    const rules: events.Rule[] = [];
    for (const route of queueRoutes) {
      if ('queue' in route && route.queue === 'governance') {
        // One job per invocation: an erasure runs until its time budget, then continues in a new job.
        const fn = this.addFunction(route.name, route.handler, route.permissions, 'queue', `SQS ${route.name}`, environment, GOVERNANCE_TIMEOUT);
        fn.function.addEventSource(new SqsEventSource(this.jobQueue, { batchSize: 1, reportBatchItemFailures: true }));
        continue;
      }
      const fn = this.addFunction(route.name, route.handler, route.permissions, 'queue', `SQS ${route.name}`, environment, FANOUT_TIMEOUT);
      fn.function.addEventSource(new SqsEventSource(this.fanOutQueue, { batchSize: 10, reportBatchItemFailures: true }));
    }

    for (const route of scheduledRoutes) {
      // Background work like the queue consumers: the same timeout ceiling.
      const fn = this.addFunction(route.name, route.handler, route.permissions, 'queue', `Schedule ${route.name}`, environment);
      rules.push(new events.Rule(this, `${route.name}Schedule`, { schedule: events.Schedule.expression(route.schedule), targets: [new eventTargets.LambdaFunction(fn.function)] }));
      workers.push(route.name);
    }

    const push = this.config.pushPlatformApplications;
    if (push) {
      const pushEnvironment = {
        ...environment,
        ...(push.apns ? { PUSH_APNS_ARN: push.apns } : {}),
        ...(push.apns_sandbox ? { PUSH_APNS_SANDBOX_ARN: push.apns_sandbox } : {}),
        ...(push.fcm ? { PUSH_FCM_ARN: push.fcm } : {}),
      };
      this.pushDeadLetterQueue = new sqs.Queue(this, 'PushDeadLetterQueue', { retentionPeriod: Duration.days(14), ...this.queueEncryption(), enforceSSL: true });
      Validations.of(this.pushDeadLetterQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This is the dead-letter queue of the push rule target: undeliverable chat.message.offline events wait here for the operator.',
      });
      for (const route of eventRoutes) {
        const fn = this.addFunction(route.name, route.handler, route.permissions, 'queue', `EventBridge ${route.detailType}`, pushEnvironment, PUSH_TIMEOUT);
        workers.push(route.name);
        rules.push(new events.Rule(this, `${route.name}Rule`, {
          eventBus: this.eventBus,
          description: `${route.detailType} → ${route.name}`,
          // `Source: "chat"` (SPEC §8, functions/lib/offline.ts).
          eventPattern: { source: ['chat'], detailType: [route.detailType] },
          targets: [new eventTargets.LambdaFunction(fn.function, { deadLetterQueue: this.pushDeadLetterQueue, retryAttempts: 2, maxEventAge: Duration.hours(1) })],
        }));
      }
    }

    if (this.config.edge) {
      this.edge = new EdgeProtection(this, 'Edge', { httpApi: this.httpApi, webSocketApi: this.webSocketApi, webSocketStage: this.webSocketStage, ...this.config.edge });
    }

    new CfnOutput(this, 'HttpApiUrl', { value: this.httpStage.url, description: 'HTTP API base URL' });
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketStage.url, description: 'Connect with ?token=<JWT>' });
    if (this.userPool && this.userPoolClient) {
      new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
    }
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });

    this.operations = new ChatOperations(this, 'Operations', {
      httpApi: this.httpApi,
      webSocketApi: this.webSocketApi,
      webSocketStage: this.webSocketStage,
      table: this.table,
      indexNames: GLOBAL_SECONDARY_INDEXES.map((gsi) => gsi.indexName),
      fanOutQueue: this.fanOutQueue,
      fanOutDeadLetterQueue: this.fanOutDeadLetterQueue,
      jobDeadLetterQueue: this.jobDeadLetterQueue,
      pushDeadLetterQueue: this.pushDeadLetterQueue,
      rules,
      pushApplications: Object.values(this.config.pushPlatformApplications ?? {}),
      workers,
      functions: this.functions,
      alarmEmail: this.config.alarmEmail,
      encryptionKey: this.encryptionKey,
      removalPolicy: this.dataRemovalPolicy,
      reportSlaHours: this.config.reportSlaHours,
    });
    this.addOperatorOutputs();
  }

  /**
   * Issue 19: what an operator needs after `cdk deploy` (`--outputs-file`):
   * where the stack runs, where to look (dashboard, log groups), which issuer
   * the functions trust, and the queues to watch and redrive (README "Runbook").
   * Function log groups of the routes are on each function (Lambda console,
   * `aws lambda get-function-configuration --query LoggingConfig.LogGroup`);
   * the workers' are output since no request leads to them.
   */
  private addOperatorOutputs(): void {
    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out('Region', this.region, 'Region the stack is deployed in');
    out(
      'DashboardUrl',
      // The commercial-partition console (the one CloudWatch links to); other partitions: DashboardName.
      `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.operations.dashboard.dashboardName}`,
      'CloudWatch dashboard of the chat service',
    );
    out('DashboardName', this.operations.dashboard.dashboardName, 'CloudWatch dashboard name');
    const issuer = this.config.oidc?.issuer ?? `https://cognito-idp.${this.region}.${this.urlSuffix}/${this.userPool!.userPoolId}`;
    const jwks = this.config.oidc?.jwksUri ?? `${issuer}/.well-known/jwks.json`;
    out('IssuerUrl', issuer, 'The `iss` the functions accept (Cognito user pool or the configured OIDC issuer)');
    out('JwksUrl', jwks, 'Where the functions fetch the signing keys');
    out('FanOutQueueUrl', this.fanOutQueue.queueUrl, 'Fan-out jobs of large chats (FIFO, one group per chat)');
    out('FanOutDeadLetterQueueUrl', this.fanOutDeadLetterQueue.queueUrl, 'Failed fan-out jobs: redrive with aws sqs start-message-move-task (README "Runbook")');
    out('GovernanceQueueUrl', this.jobQueue.queueUrl, 'Erasure and export jobs (FIFO, one group per user)');
    out('GovernanceDeadLetterQueueUrl', this.jobDeadLetterQueue.queueUrl, 'Failed erasure/export jobs: redrive to resume (README "Runbook")');
    if (this.pushDeadLetterQueue) out('PushDeadLetterQueueUrl', this.pushDeadLetterQueue.queueUrl, 'chat.message.offline events the push worker could not take');
    out('HttpAccessLogGroupName', this.httpAccessLogs.logGroupName, 'HTTP API access logs (JSON, one line per request)');
    if (this.webSocketAccessLogs) out('WebSocketAccessLogGroupName', this.webSocketAccessLogs.logGroupName, 'WebSocket API access logs');
    const workers = [...queueRoutes, ...scheduledRoutes, ...(this.pushDeadLetterQueue ? eventRoutes : [])];
    for (const route of workers) {
      const fn = this.functions[route.name];
      if (fn) out(`${route.name}LogGroupName`, fn.logGroup.logGroupName, `Log group of the ${route.name} worker`);
    }
  }

  /**
   * API Gateway writes WebSocket (and REST) access logs with the region-wide
   * CloudWatch Logs role of the account (`AWS::ApiGateway::Account`); HTTP APIs
   * need none. Opt-in (context `apiGatewayCloudWatchRole=create`): the setting
   * is an account-wide singleton, so creating it overwrites another stack's
   * role, and on a first deploy it can race IAM propagation of the new role.
   * Kept on stack deletion (RETAIN_ON_UPDATE_OR_DELETE) since the account
   * setting outlives the stack; a failed first deploy removes both.
   */
  private createApiGatewayAccountRole(): void {
    const role = new iam.Role(this, 'ApiGatewayCloudWatchRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    role.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'The AWS-maintained policy API Gateway documents for its account-level logging role; it only allows writing CloudWatch Logs.',
    });
    const account = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    this.webSocketStage.node.addDependency(account);
  }

  /** SQS-managed SSE by default; the stack's key with context customerManagedKey/kmsKeyArn. */
  private queueEncryption(): Pick<sqs.QueueProps, 'encryption' | 'encryptionMasterKey' | 'dataKeyReuse'> {
    if (!this.encryptionKey) return { encryption: sqs.QueueEncryption.SQS_MANAGED };
    // Reusing a data key for an hour (the maximum) keeps KMS requests to a few per hour per queue and function.
    return { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: this.encryptionKey, dataKeyReuse: Duration.hours(1) };
  }

  private createAccessLogBucket(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'AccessLogBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // S3 server access logging delivers with the logging service principal, which needs SSE-S3 (not KMS) and no ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
      removalPolicy: this.dataRemovalPolicy,
      autoDeleteObjects: this.config.destroyOnRemoval,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log destination of the attachment bucket; logging it into itself would loop and another log bucket would only move the finding.',
    });
    return bucket;
  }

  private createTable(): dynamodb.TableV2 {
    const attribute = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
    const projection: Record<GsiDefinition['projection'], dynamodb.ProjectionType> = {
      KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
      INCLUDE: dynamodb.ProjectionType.INCLUDE,
      ALL: dynamodb.ProjectionType.ALL,
    };
    const table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: attribute(KEY.pk),
      sortKey: attribute(KEY.sk),
      globalSecondaryIndexes: GLOBAL_SECONDARY_INDEXES.map((gsi) => ({
        indexName: gsi.indexName,
        partitionKey: attribute(gsi.partitionKey),
        sortKey: attribute(gsi.sortKey),
        projectionType: projection[gsi.projection],
        nonKeyAttributes: gsi.projection === 'INCLUDE' ? gsi.nonKeyAttributes : undefined,
      })),
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // The AWS managed key (aws/dynamodb) shows up in CloudTrail, unlike the default DynamoDB-owned key,
      // and needs no KMS grants on the function roles.
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      deletionProtection: this.config.deletionProtection,
      removalPolicy: this.dataRemovalPolicy,
    });
    if (this.encryptionKey) {
      // The stack's key instead (lib/encryption.ts). `TableEncryptionV2.customerManagedKey` refuses region-agnostic
      // stacks (it renders one key per replica region), and this stack synthesizes offline without a region: the one
      // replica is `${AWS::Region}`, so its SSESpecification takes the key directly. The table's grants then know no
      // key; `ChatFunction` grants the key use its table permissions need.
      const cfn = table.node.defaultChild as dynamodb.CfnGlobalTable;
      cfn.addPropertyOverride('Replicas.0.SSESpecification.KMSMasterKeyId', this.encryptionKey.keyArn);
    }
    return table;
  }

  private createBucket(corsOrigins: string[], accessLogBucket: s3.Bucket): s3.Bucket {
    return new s3.Bucket(this, 'AttachmentBucket', {
      serverAccessLogsBucket: accessLogBucket,
      serverAccessLogsPrefix: 'attachments/',
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      ...(this.encryptionKey
        ? // An S3 Bucket Key cuts KMS requests (and their cost) by reusing a bucket-level data key.
          { encryption: s3.BucketEncryption.KMS, encryptionKey: this.encryptionKey, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      versioned: false,
      // Browsers upload straight to S3 with the presigned PUT/POST from POST /v1/chats/{chatId}/attachments.
      cors: [
        {
          allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.POST, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
          allowedOrigins: corsOrigins,
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: Duration.days(1).toSeconds(),
        },
      ],
      lifecycleRules: [
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Uploads land under pending/ until a message attaches them; what is still there a day later was abandoned.
        { id: 'expire-abandoned-uploads', prefix: 'pending/', expiration: Duration.days(1) },
        // SPEC §10: export documents are downloaded within days; the export record's TTL matches.
        { id: 'expire-exports', prefix: 'exports/', expiration: Duration.days(this.config.exportRetentionDays) },
        // SPEC §10 retention: attachment objects go with their messages (DynamoDB TTL, same age).
        ...(this.config.messageRetentionDays ? [{ id: 'expire-attachments-with-messages', prefix: 'chats/', expiration: Duration.days(this.config.messageRetentionDays) }] : []),
      ],
      removalPolicy: this.dataRemovalPolicy,
      autoDeleteObjects: this.config.destroyOnRemoval,
    });
  }

  private createUserPool(): cognito.UserPool {
    const pool = new cognito.UserPool(this, 'UserPool', {
      // Users are invited by an operator (or provisioned via PUT /v1/users/{userId}); nobody signs up on their own.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: {
        email: { required: true, mutable: true },
        // The `name` claim is the display name (SPEC §2).
        fullname: { required: false, mutable: true },
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      // Users may add an authenticator app; requiring it is the embedding product's decision (see the acknowledgment).
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      removalPolicy: this.dataRemovalPolicy,
      deletionProtection: !this.config.destroyOnRemoval,
    });
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason: 'MFA is optional (TOTP): the chat is embedded in other apps whose users are invited by an operator; forcing MFA is left to the deployer (or to an external OIDC issuer).',
    });
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason: 'The Plus feature plan (threat protection) is billed per monthly active user; the pool is invitation-only and deployers who need it can switch the plan, or use their own OIDC issuer.',
    });
    // Groups arrive as `cognito:groups` and map to platform roles (SPEC §2); `user` is implicit.
    for (const role of Role.options.filter((r) => r !== 'user')) {
      new cognito.CfnUserPoolGroup(this, `${role[0]!.toUpperCase()}${role.slice(1)}Group`, {
        userPoolId: pool.userPoolId,
        groupName: role,
        description: `Platform role ${role}`,
      });
    }
    return pool;
  }

  /** The variables `functions/config.ts` reads, shared by every function. */
  private functionEnvironment(): Record<string, string> {
    const { oidc } = this.config;
    // Built from tokens rather than `webSocketStage.callbackUrl` so functions depend on the API only, not the stage.
    const wsEndpoint = `https://${this.webSocketApi.apiId}.execute-api.${this.region}.${this.urlSuffix}/${WEBSOCKET_STAGE_NAME}`;
    const auth: Record<string, string> = oidc
      ? { AUTH_MODE: 'oidc', OIDC_ISSUER: oidc.issuer, OIDC_AUDIENCE: oidc.audience, OIDC_JWKS_URI: oidc.jwksUri, OIDC_ROLES_CLAIM: this.config.oidcRolesClaim }
      : {
          AUTH_MODE: 'cognito',
          COGNITO_USER_POOL_ID: this.userPool!.userPoolId,
          COGNITO_CLIENT_ID: this.userPoolClient!.userPoolClientId,
          COGNITO_TOKEN_USE: this.config.cognitoTokenUse,
        };
    return {
      TABLE_NAME: this.table.tableName,
      BUCKET_NAME: this.bucket.bucketName,
      WS_ENDPOINT: wsEndpoint,
      EVENT_BUS_NAME: this.eventBus.eventBusName,
      FANOUT_QUEUE_URL: this.fanOutQueue.queueUrl,
      ...(this.config.blockedWords.length > 0 ? { BLOCKED_WORDS: this.config.blockedWords.join(',') } : {}),
      REPORT_SLA_HOURS: String(this.config.reportSlaHours),
      // A CloudFormation dynamic reference: resolved at deploy time, so the key is in no template or asset.
      CURSOR_SECRET: this.cursorSecret.secretValue.unsafeUnwrap(),
      GOVERNANCE_QUEUE_URL: this.jobQueue.queueUrl,
      EXPORT_RETENTION_DAYS: String(this.config.exportRetentionDays),
      ...(this.config.messageRetentionDays ? { MESSAGE_RETENTION_DAYS: String(this.config.messageRetentionDays) } : {}),
      PUSH_PREVIEW: this.config.pushPreview,
      ...auth,
      APP_VERSION: appVersion(),
    };
  }

  private addFunction(
    name: string,
    handler: string,
    permissions: readonly Permission[],
    api: 'http' | 'websocket' | 'queue',
    description: string,
    environment: Record<string, string>,
    timeout?: Duration,
    assets?: readonly string[],
  ): ChatFunction {
    if (this.functions[name]) throw new Error(`Duplicate route name ${name} in functions/routes.ts`);
    const fn = new ChatFunction(this, name, {
      entry: handler,
      api,
      role: this.functionRoles.roleFor(permissions),
      encryptionKey: this.encryptionKey,
      logRemovalPolicy: this.dataRemovalPolicy,
      timeout,
      environment,
      description,
      tracing: this.config.tracing,
      assets,
    });
    this.functions[name] = fn;
    return fn;
  }
}

function appVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string };
  if (!pkg.version) throw new Error('package.json has no version');
  return pkg.version;
}
