/**
 * Alarms and the dashboard of the chat service (issue 7): everything an
 * operator watches, in CloudWatch, with one SNS topic for every alarm.
 *
 * | alarm | fires when |
 * |---|---|
 * | `HttpApi5xxRate` | HTTP API 5xx / requests > 1 % over 5 min, with at least `HTTP_MIN_REQUESTS` requests |
 * | `WebSocketIntegrationErrorRate` | WebSocket integration errors / (messages + connects) > 5 % over 5 min, same minimum |
 * | `FunctionErrors<n>`, `FunctionThrottles<n>` | any function error (an unhandled exception or a timeout: handlers answer domain errors themselves) or throttle in 5 min, per group of ≤ 10 functions (named in the description) |
 * | `TableThrottles`, `<Index>Throttles` | any read or write throttle event on the table or one of its GSIs in 5 min |
 * | `FanOutDeadLetters` | a fan-out job landed in the dead-letter queue (deliveries that failed 5 times) |
 * | `FanOutBacklog` | the oldest fan-out job waited more than 2 min, 3 minutes in a row |
 *
 * No alarm, topic, or dashboard has a physical name.
 */
import { CfnOutput, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type { HttpApi, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
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
/** Functions per Errors/Throttles alarm: CloudWatch's limit of metrics in a metric math alarm. */
export const ALARM_GROUP_SIZE = 10;

export interface ChatOperationsProps {
  readonly httpApi: HttpApi;
  readonly webSocketApi: WebSocketApi;
  readonly webSocketStage: WebSocketStage;
  readonly table: TableV2;
  readonly indexNames: readonly string[];
  readonly fanOutQueue: Queue;
  readonly fanOutDeadLetterQueue: Queue;
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
    // One alarm per metric and group of ≤ 10 functions (a metric math alarm's limit), not one per function: two
    // alarms for each of 50+ functions would take a fifth of CloudFormation's 500 resources per stack. Which
    // function failed: the alarm's description names the group, the dashboard's per-function graphs show it.
    for (let i = 0; i < functions.length; i += ALARM_GROUP_SIZE) {
      const group = functions.slice(i, i + ALARM_GROUP_SIZE);
      const n = i / ALARM_GROUP_SIZE + 1;
      const names = group.map(([name]) => name).join(', ');
      const sum = (metric: (fn: ChatFunction) => cloudwatch.Metric, label: string) =>
        new cloudwatch.MathExpression({
          expression: `SUM([${group.map((_, j) => `m${j}`).join(',')}])`,
          usingMetrics: Object.fromEntries(group.map(([, fn], j) => [`m${j}`, metric(fn)])),
          period: FIVE_MINUTES,
          label,
        });
      this.alarm(`FunctionErrors${n}`, {
        alarmDescription: `A function failed (unhandled error or timeout), one of: ${names}`,
        metric: sum((fn) => fn.function.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 'Errors'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
      this.alarm(`FunctionThrottles${n}`, {
        alarmDescription: `Invocations throttled (account or reserved concurrency exhausted), one of: ${names}`,
        metric: sum((fn) => fn.function.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }), 'Throttles'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }

    for (const indexName of [undefined, ...props.indexNames]) {
      this.alarm(`${indexName ?? 'Table'}Throttles`, {
        alarmDescription: `DynamoDB ${indexName ? `index ${indexName}` : 'table'}: read or write requests throttled`,
        metric: throttleEvents(indexName),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }

    this.alarm('FanOutDeadLetters', {
      alarmDescription: 'Fan-out jobs failed 5 times and wait in the dead-letter queue: some recipients missed events',
      metric: props.fanOutDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

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
