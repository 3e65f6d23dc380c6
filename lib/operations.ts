/**
 * Alarms and the dashboard of the chat service (issue 7): everything an
 * operator watches, in CloudWatch, with one SNS topic for every alarm.
 *
 * | alarm | fires when |
 * |---|---|
 * | `HttpApi5xxRate` | HTTP API 5xx / requests > 1 % over 5 min, with at least `HTTP_MIN_REQUESTS` requests (covers the route functions' errors and timeouts) |
 * | `WebSocketIntegrationErrorRate` | WebSocket integration errors / (messages + connects) > 5 % over 5 min, same minimum |
 * | `HttpApiLatencyNearTimeout`, `WebSocketLatencyNearTimeout` | p99 integration latency > 80 % of the route functions' timeout, 15 min in a row |
 * | `WorkerErrorRate<n>` | the background workers' (queue, schedule, event) errors / invocations > 5 % over 5 min, at least 10 invocations, per group of ≤ 5 (named in the description) |
 * | `WorkerDurationNearTimeout<n>` | a worker's longest run > 80 % of its timeout in 5 min |
 * | `LambdaThrottleRate` | region-wide throttled / attempted invocations > 1 % over 5 min |
 * | `TableThrottles`, `<Index>Throttles` | read or write throttle events on the table or one of its GSIs in two 5-min periods in a row |
 * | `DynamoDbSystemErrors` | more than 5 DynamoDB requests failed with HTTP 500 in 5 min |
 * | `EventBridgeFailedInvocations` | a rule (schedule, push) could not invoke its target after retries |
 * | `PushFailureRate` | with push: failed / sent SNS mobile notifications > 10 % over 5 min |
 * | `FanOutDeadLetters`, `GovernanceDeadLetters`, `PushDeadLetters` | a message is in that dead-letter queue |
 * | `FanOutBacklog` | the oldest fan-out job waited more than 2 min, 3 minutes in a row |
 * | `ReportSla` | a report has been open longer than `reportSlaHours` |
 *
 * What each means and what to do: README "Runbook".
 *
 * No alarm, topic, or dashboard has a physical name.
 */
import { CfnOutput, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type { HttpApi, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ChatFunction } from './chat-function';

/** Powertools Metrics namespace and `service` dimension of `functions/lib/metrics.ts`. */
export const APP_METRICS_NAMESPACE = 'ServerlessChat';
export const APP_METRICS_SERVICE = 'chat';
export const APP_METRICS = ['MessagesSent', 'Deliveries', 'StaleConnectionsRemoved', 'RateLimited', 'FanOutDurationMs'] as const;

/** Below this many requests in 5 minutes, an error rate says nothing (one failure of 3 requests is not an outage). */
export const HTTP_MIN_REQUESTS = 20;
/** Percent of HTTP requests answered 5xx. */
export const HTTP_5XX_THRESHOLD_PERCENT = 1;
/** Percent of WebSocket messages and connects whose integration failed (rejected `$connect` tokens count too). */
export const WS_INTEGRATION_ERROR_THRESHOLD_PERCENT = 5;

const FIVE_MINUTES = Duration.minutes(5);
/** Metrics per alarm: CloudWatch's limit of metrics in a metric math alarm. */
export const ALARM_GROUP_SIZE = 10;
/** Workers per error-rate alarm: two metrics each (errors, invocations) within the 10-metric limit. */
export const WORKER_GROUP_SIZE = 5;
/** Background workers' error rate that raises `WorkerErrorRate<n>`, and the invocations needed to judge it. */
export const WORKER_ERROR_THRESHOLD_PERCENT = 5;
export const WORKER_MIN_INVOCATIONS = 10;
/** p99 latency / longest run as a share of the function timeout that raises the latency alarms. */
export const LATENCY_NEAR_TIMEOUT_PERCENT = 80;
/** Region-wide share of throttled Lambda invocations that raises `LambdaThrottleRate`. */
export const THROTTLE_THRESHOLD_PERCENT = 1;
/** DynamoDB SystemErrors (HTTP 500, retried by the SDK) per 5 minutes above which `DynamoDbSystemErrors` fires. */
export const DYNAMODB_SYSTEM_ERRORS_THRESHOLD = 5;
/** Share of failed SNS mobile push notifications that raises `PushFailureRate`. */
export const PUSH_FAILURE_THRESHOLD_PERCENT = 10;
/** The operations the functions call (SystemErrors is published per `Operation`), at most 10. */
const DYNAMODB_OPERATIONS = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'BatchGetItem', 'BatchWriteItem', 'TransactGetItems', 'TransactWriteItems'];

export interface ChatOperationsProps {
  readonly httpApi: HttpApi;
  readonly webSocketApi: WebSocketApi;
  readonly webSocketStage: WebSocketStage;
  readonly table: TableV2;
  readonly indexNames: readonly string[];
  readonly fanOutQueue: Queue;
  readonly fanOutDeadLetterQueue: Queue;
  /** The governance (erasure and export) dead-letter queue. */
  readonly jobDeadLetterQueue: Queue;
  /** With push configured: the push rule target's dead-letter queue. */
  readonly pushDeadLetterQueue?: Queue;
  /** EventBridge rules whose target failures (`FailedInvocations`) are alarmed: schedules and the push rule. */
  readonly rules: readonly events.IRule[];
  /** SNS platform application ARNs (push), for `PushFailureRate`. */
  readonly pushApplications?: readonly string[];
  /** Route names of the background workers (queue, schedule and event functions): no API reports their errors. */
  readonly workers: readonly string[];
  /** By route name. */
  readonly functions: Record<string, ChatFunction>;
  /** Subscribed to the alarm topic when given. */
  readonly alarmEmail?: string;
  /** The stack's customer-managed key (its policy lets CloudWatch use it, `lib/encryption.ts`); unset: a key of this construct. */
  readonly encryptionKey?: kms.IKey;
  /** Of the alarm topic's own key (without `encryptionKey`): the stack's data removal policy. */
  readonly removalPolicy: RemovalPolicy;
  /** SPEC §9: hours a report may stay open before the `ReportSla` alarm (context `reportSlaHours`, default 24). */
  readonly reportSlaHours?: number;
}

export class ChatOperations extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ChatOperationsProps) {
    super(scope, id);

    // CloudWatch can only publish to an encrypted topic whose key lets it (the AWS managed aws/sns key does not).
    let key = props.encryptionKey;
    if (!key) {
      const own = new kms.Key(this, 'AlarmTopicKey', { description: 'Encrypts the chat alarm topic', enableKeyRotation: true, removalPolicy: props.removalPolicy });
      own.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
      key = own;
    }
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: `Chat alarms (${Stack.of(this).stackName})`, masterKey: key, enforceSSL: true });
    // `enforceSSL` creates the topic policy with only a Deny; without this Allow, CloudWatch could never publish an alarm.
    // Scoped to this account's alarms (confused-deputy protection: aws:SourceArn and aws:SourceAccount).
    const stack = Stack.of(this);
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    new CfnOutput(Stack.of(this), 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'SNS topic every alarm notifies' });

    // ---- metrics ----
    const httpRequests = props.httpApi.metricCount({ period: FIVE_MINUTES, statistic: 'Sum', label: 'Requests' });
    const http4xx = props.httpApi.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum', label: '4xx' });
    const http5xx = props.httpApi.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum', label: '5xx' });
    const httpLatency = (statistic: string) => props.httpApi.metricLatency({ period: FIVE_MINUTES, statistic, label: `Latency ${statistic}` });

    const wsMetric = (metricName: string, label: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: props.webSocketApi.apiId, Stage: props.webSocketStage.stageName },
        period: FIVE_MINUTES,
        statistic,
        label,
      });
    const wsConnects = wsMetric('ConnectCount', 'Connects');
    const wsMessages = wsMetric('MessageCount', 'Messages');
    const wsIntegrationErrors = wsMetric('IntegrationError', 'Integration errors');
    const wsClientErrors = wsMetric('ClientError', 'Client errors');
    const wsExecutionErrors = wsMetric('ExecutionError', 'Execution errors');

    const tableName = props.table.tableName;
    const dynamo = (metricName: string, label: string, indexName?: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: indexName ? { TableName: tableName, GlobalSecondaryIndexName: indexName } : { TableName: tableName },
        period: FIVE_MINUTES,
        statistic: 'Sum',
        label,
      });
    // Ids must be unique per graph: the dashboard shows the table's and every index's expression together.
    const throttleEvents = (indexName?: string) => {
      const suffix = indexName ? `_${props.indexNames.indexOf(indexName)}` : '';
      return new cloudwatch.MathExpression({
        expression: `FILL(r${suffix}, 0) + FILL(w${suffix}, 0)`,
        usingMetrics: {
          [`r${suffix}`]: dynamo('ReadThrottleEvents', 'read', indexName),
          [`w${suffix}`]: dynamo('WriteThrottleEvents', 'write', indexName),
        },
        period: FIVE_MINUTES,
        label: `${indexName ?? 'Table'} throttle events`,
      });
    };

    const app = (metricName: (typeof APP_METRICS)[number], statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: APP_METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: APP_METRICS_SERVICE },
        period: FIVE_MINUTES,
        statistic,
        label: statistic === 'Sum' ? metricName : `${metricName} ${statistic}`,
      });

    // ---- alarms ----
    this.alarm('HttpApi5xxRate', {
      alarmDescription: `HTTP API: more than ${HTTP_5XX_THRESHOLD_PERCENT} % of requests answered 5xx in 5 minutes (at least ${HTTP_MIN_REQUESTS} requests)`,
      metric: new cloudwatch.MathExpression({
        expression: `IF(requests >= ${HTTP_MIN_REQUESTS}, 100 * FILL(errors, 0) / requests, 0)`,
        usingMetrics: { requests: httpRequests, errors: http5xx },
        period: FIVE_MINUTES,
        label: '5xx %',
      }),
      threshold: HTTP_5XX_THRESHOLD_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    this.alarm('WebSocketIntegrationErrorRate', {
      alarmDescription: `WebSocket API: more than ${WS_INTEGRATION_ERROR_THRESHOLD_PERCENT} % of messages and connects failed in the integration in 5 minutes`,
      metric: new cloudwatch.MathExpression({
        expression: `IF(FILL(messages, 0) + FILL(connects, 0) >= ${HTTP_MIN_REQUESTS}, 100 * FILL(errors, 0) / (FILL(messages, 0) + FILL(connects, 0)), 0)`,
        usingMetrics: { messages: wsMessages, connects: wsConnects, errors: wsIntegrationErrors },
        period: FIVE_MINUTES,
        label: 'Integration error %',
      }),
      threshold: WS_INTEGRATION_ERROR_THRESHOLD_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    const functions = Object.entries(props.functions);
    // Errors of the API functions surface as the API's 5xx and integration error rates above (an unhandled error
    // or a timeout is a 5xx); the workers have no API in front, so their error rate is alarmed directly. Grouped by
    // CloudWatch's limit of 10 metrics per metric math alarm, and never one alarm per function: two alarms for each
    // of 60+ functions would take a quarter of CloudFormation's 500 resources per stack.
    const workers = functions.filter(([name]) => props.workers.includes(name));
    for (let i = 0; i < workers.length; i += WORKER_GROUP_SIZE) {
      const group = workers.slice(i, i + WORKER_GROUP_SIZE);
      const n = i / WORKER_GROUP_SIZE + 1;
      const names = group.map(([name]) => name).join(', ');
      const usingMetrics: Record<string, cloudwatch.IMetric> = {};
      group.forEach(([, fn], j) => {
        usingMetrics[`e${j}`] = fn.function.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' });
        usingMetrics[`i${j}`] = fn.function.metricInvocations({ period: FIVE_MINUTES, statistic: 'Sum' });
      });
      const errors = group.map((_, j) => `FILL(e${j}, 0)`).join(' + ');
      const invocations = group.map((_, j) => `FILL(i${j}, 0)`).join(' + ');
      this.alarm(`WorkerErrorRate${n}`, {
        alarmDescription: `Background workers: more than ${WORKER_ERROR_THRESHOLD_PERCENT} % of invocations failed in 5 minutes (at least ${WORKER_MIN_INVOCATIONS}), one of: ${names}`,
        metric: new cloudwatch.MathExpression({
          expression: `IF(${invocations} >= ${WORKER_MIN_INVOCATIONS}, 100 * (${errors}) / (${invocations}), 0)`,
          usingMetrics,
          period: FIVE_MINUTES,
          label: 'Worker error %',
        }),
        threshold: WORKER_ERROR_THRESHOLD_PERCENT,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    // Latency near the timeout: a function that runs into its timeout answers 503/504 (APIs) or retries (workers).
    // The functions' timeouts (10 s for API routes) are what requests run into, well before API Gateway's 29-30 s.
    const apiTimeout = Math.min(...functions.filter(([name]) => !props.workers.includes(name)).map(([, fn]) => fn.timeout.toMilliseconds()));
    this.alarm('HttpApiLatencyNearTimeout', {
      alarmDescription: `HTTP API: p99 integration latency above ${LATENCY_NEAR_TIMEOUT_PERCENT} % of the functions' ${apiTimeout / 1000} s timeout for 15 minutes`,
      metric: props.httpApi.metricIntegrationLatency({ period: FIVE_MINUTES, statistic: 'p99' }),
      threshold: (apiTimeout * LATENCY_NEAR_TIMEOUT_PERCENT) / 100,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    this.alarm('WebSocketLatencyNearTimeout', {
      alarmDescription: `WebSocket API: p99 integration latency above ${LATENCY_NEAR_TIMEOUT_PERCENT} % of the functions' ${apiTimeout / 1000} s timeout for 15 minutes`,
      metric: wsMetric('IntegrationLatency', 'Integration latency p99', 'p99'),
      threshold: (apiTimeout * LATENCY_NEAR_TIMEOUT_PERCENT) / 100,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    for (let i = 0; i < workers.length; i += ALARM_GROUP_SIZE) {
      const group = workers.slice(i, i + ALARM_GROUP_SIZE);
      const n = i / ALARM_GROUP_SIZE + 1;
      this.alarm(`WorkerDurationNearTimeout${n}`, {
        alarmDescription: `A background worker's longest run took more than ${LATENCY_NEAR_TIMEOUT_PERCENT} % of its timeout in 5 minutes, one of: ${group.map(([name, fn]) => `${name} (${fn.timeout.toSeconds()} s)`).join(', ')}`,
        metric: new cloudwatch.MathExpression({
          expression: `MAX([${group.map(([, fn], j) => `100 * FILL(d${j}, 0) / ${fn.timeout.toMilliseconds()}`).join(', ')}])`,
          usingMetrics: Object.fromEntries(group.map(([, fn], j) => [`d${j}`, fn.function.metricDuration({ period: FIVE_MINUTES, statistic: 'Maximum' })])),
          period: FIVE_MINUTES,
          label: 'Longest run, % of timeout',
        }),
        threshold: LATENCY_NEAR_TIMEOUT_PERCENT,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    // Throttles come from the region's shared concurrency (no function reserves any), so the region-wide Lambda
    // metrics (no dimension) measure them: one alarm, not one per function.
    const lambdaAccount = (metricName: string) => new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName, period: FIVE_MINUTES, statistic: 'Sum' });
    this.alarm('LambdaThrottleRate', {
      alarmDescription: `Lambda (region-wide, every function of the account): more than ${THROTTLE_THRESHOLD_PERCENT} % of invocations throttled in 5 minutes: concurrency exhausted`,
      metric: new cloudwatch.MathExpression({
        expression: `IF(FILL(invocations, 0) + FILL(throttles, 0) >= ${HTTP_MIN_REQUESTS}, 100 * FILL(throttles, 0) / (FILL(invocations, 0) + FILL(throttles, 0)), 0)`,
        usingMetrics: { invocations: lambdaAccount('Invocations'), throttles: lambdaAccount('Throttles') },
        period: FIVE_MINUTES,
        label: 'Throttled %',
      }),
      threshold: THROTTLE_THRESHOLD_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    for (const indexName of [undefined, ...props.indexNames]) {
      this.alarm(`${indexName ?? 'Table'}Throttles`, {
        alarmDescription: `DynamoDB ${indexName ? `index ${indexName}` : 'table'}: read or write requests throttled in two 5-minute periods in a row`,
        metric: throttleEvents(indexName),
        threshold: 1,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }

    // SystemErrors is published per operation; the SDK retries them, so a few are noise and a stream is an AWS-side problem.
    this.alarm('DynamoDbSystemErrors', {
      alarmDescription: `DynamoDB: more than ${DYNAMODB_SYSTEM_ERRORS_THRESHOLD} requests failed with HTTP 500 (SystemErrors) in 5 minutes`,
      metric: new cloudwatch.MathExpression({
        expression: `SUM([${DYNAMODB_OPERATIONS.map((_, j) => `FILL(s${j}, 0)`).join(', ')}])`,
        usingMetrics: Object.fromEntries(
          DYNAMODB_OPERATIONS.map((operation, j) => [
            `s${j}`,
            new cloudwatch.Metric({ namespace: 'AWS/DynamoDB', metricName: 'SystemErrors', dimensionsMap: { TableName: tableName, Operation: operation }, period: FIVE_MINUTES, statistic: 'Sum' }),
          ]),
        ),
        period: FIVE_MINUTES,
        label: 'System errors',
      }),
      threshold: DYNAMODB_SYSTEM_ERRORS_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    // EventBridge gave up on a target (after its retries): a scheduled run or a push event did not happen.
    const rules = props.rules.slice(0, ALARM_GROUP_SIZE);
    if (rules.length > 0) {
      this.alarm('EventBridgeFailedInvocations', {
        alarmDescription: `EventBridge could not invoke a target after its retries (FailedInvocations): a scheduled run or push event was dropped or sent to the DLQ. Rules: ${rules.length}`,
        metric: new cloudwatch.MathExpression({
          expression: `SUM([${rules.map((_, j) => `FILL(f${j}, 0)`).join(', ')}])`,
          usingMetrics: Object.fromEntries(
            rules.map((rule, j) => [`f${j}`, new cloudwatch.Metric({ namespace: 'AWS/Events', metricName: 'FailedInvocations', dimensionsMap: { RuleName: rule.ruleName }, period: FIVE_MINUTES, statistic: 'Sum' })]),
          ),
          period: FIVE_MINUTES,
          label: 'Failed invocations',
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }

    // SNS mobile push: per platform application (`Application` and `Platform` dimensions, from the ARN).
    const apps = (props.pushApplications ?? []).map((arn) => /:app\/([A-Z_]+)\/(.+)$/.exec(arn)).filter((m): m is RegExpExecArray => m !== null).slice(0, 5);
    if (apps.length > 0) {
      const sns = (metricName: string, [, platform, application]: RegExpExecArray) =>
        new cloudwatch.Metric({ namespace: 'AWS/SNS', metricName, dimensionsMap: { Application: application!, Platform: platform! }, period: FIVE_MINUTES, statistic: 'Sum' });
      const usingMetrics: Record<string, cloudwatch.IMetric> = {};
      apps.forEach((app, j) => {
        usingMetrics[`f${j}`] = sns('NumberOfNotificationsFailed', app);
        usingMetrics[`d${j}`] = sns('NumberOfNotificationsDelivered', app);
      });
      const failed = apps.map((_, j) => `FILL(f${j}, 0)`).join(' + ');
      const delivered = apps.map((_, j) => `FILL(d${j}, 0)`).join(' + ');
      this.alarm('PushFailureRate', {
        alarmDescription: `SNS mobile push: more than ${PUSH_FAILURE_THRESHOLD_PERCENT} % of notifications failed in 5 minutes (NumberOfNotificationsFailed, at least ${HTTP_MIN_REQUESTS} sent)`,
        metric: new cloudwatch.MathExpression({
          expression: `IF(${failed} + ${delivered} >= ${HTTP_MIN_REQUESTS}, 100 * (${failed}) / (${failed} + ${delivered}), 0)`,
          usingMetrics,
          period: FIVE_MINUTES,
          label: 'Push failed %',
        }),
        threshold: PUSH_FAILURE_THRESHOLD_PERCENT,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    // Every dead-letter queue: anything in one is work that did not happen until an operator redrives it.
    const deadLetters: [string, Queue, string][] = [
      ['FanOutDeadLetters', props.fanOutDeadLetterQueue, 'Fan-out jobs failed 3 times and wait in the dead-letter queue: some recipients missed events'],
      ['GovernanceDeadLetters', props.jobDeadLetterQueue, 'Erasure or export jobs failed 5 times and wait in the dead-letter queue: an erasure is stalled at its checkpoint or an export never finishes'],
      ...(props.pushDeadLetterQueue ? [['PushDeadLetters', props.pushDeadLetterQueue, 'chat.message.offline events EventBridge could not hand to the push worker: those pushes were not sent'] as [string, Queue, string]] : []),
    ];
    for (const [id, queue, description] of deadLetters) {
      this.alarm(id, {
        alarmDescription: description,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    this.alarm('FanOutBacklog', {
      alarmDescription: 'The oldest fan-out job waited more than 2 minutes for 3 minutes: large chats get events late',
      metric: props.fanOutQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 120,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    // SPEC §9: app stores expect reports to be acted on promptly. `ReportSla` (a scheduled function) publishes the
    // oldest open report's age every 5 minutes; missing data (no schedule run) is not a breach.
    this.alarm('ReportSla', {
      alarmDescription: `A report has been open for more than ${props.reportSlaHours ?? 24} hours (REPORT_SLA_HOURS): work the moderation queue (GET /v1/moderation/reports)`,
      metric: new cloudwatch.Metric({
        namespace: APP_METRICS_NAMESPACE,
        metricName: 'OldestOpenReportAgeSeconds',
        dimensionsMap: { service: APP_METRICS_SERVICE },
        period: FIVE_MINUTES,
        statistic: 'Maximum',
      }),
      threshold: (props.reportSlaHours ?? 24) * 3600,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    // ---- dashboard ----
    const perFunction = (metric: (fn: ChatFunction) => cloudwatch.IMetric) => functions.map(([, fn]) => metric(fn));
    const width = 8;
    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6, ...extra });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `## Serverless chat: HTTP and WebSocket APIs, functions, DynamoDB, fan-out, application metrics (\`${APP_METRICS_NAMESPACE}\`)`,
        width: 24,
        height: 1,
      }),
    );
    this.dashboard.addWidgets(
      graph('HTTP requests, 4xx, 5xx', [httpRequests], { right: [http4xx, http5xx] }),
      graph('HTTP latency', [httpLatency('p50'), httpLatency('p99')], { leftYAxis: { label: 'ms', showUnits: false } }),
      graph('WebSocket messages and connects', [wsMessages, wsConnects], { right: [wsIntegrationErrors, wsClientErrors, wsExecutionErrors] }),
    );
    this.dashboard.addWidgets(
      graph('Lambda errors', perFunction((fn) => labelled(fn.function.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), fn.node.id)), {
        legendPosition: cloudwatch.LegendPosition.HIDDEN,
      }),
      graph('Lambda throttles', perFunction((fn) => labelled(fn.function.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }), fn.node.id)), {
        legendPosition: cloudwatch.LegendPosition.HIDDEN,
      }),
      graph('Lambda duration p99', perFunction((fn) => labelled(fn.function.metricDuration({ period: FIVE_MINUTES, statistic: 'p99' }), fn.node.id)), {
        legendPosition: cloudwatch.LegendPosition.HIDDEN,
      }),
    );
    this.dashboard.addWidgets(
      graph('DynamoDB consumed capacity', [
        props.table.metricConsumedReadCapacityUnits({ period: FIVE_MINUTES, statistic: 'Sum', label: 'RCU' }),
        props.table.metricConsumedWriteCapacityUnits({ period: FIVE_MINUTES, statistic: 'Sum', label: 'WCU' }),
      ]),
      graph('DynamoDB throttles', [undefined, ...props.indexNames].map((indexName) => throttleEvents(indexName))),
      graph(
        'Fan-out queue',
        [props.fanOutQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum', label: 'Oldest job age (s)' })],
        {
          right: [
            props.fanOutQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum', label: 'Queued jobs' }),
            props.fanOutDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum', label: 'Dead letters' }),
          ],
        },
      ),
    );
    this.dashboard.addWidgets(
      graph('Messages and deliveries', [app('MessagesSent'), app('Deliveries')]),
      graph('Stale connections and rate limiting', [app('StaleConnectionsRemoved'), app('RateLimited')]),
      graph('Fan-out duration', [app('FanOutDurationMs', 'p50'), app('FanOutDurationMs', 'p99')], { leftYAxis: { label: 'ms', showUnits: false } }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: Math.ceil(this.alarms.length / 6) + 1 }),
    );
  }

  private alarm(id: string, props: Omit<cloudwatch.AlarmProps, 'evaluationPeriods'> & { evaluationPeriods?: number }): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      evaluationPeriods: 1,
      // No traffic is not an outage; the API alarms guard with a minimum request count instead.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    alarm.addOkAction(new actions.SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
    return alarm;
  }
}

function labelled(metric: cloudwatch.Metric, label: string): cloudwatch.Metric {
  return metric.with({ label });
}
