import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { copyFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, AssetHashType, DockerImage, Duration, RemovalPolicy, Stack, Validations, type ILocalBundling } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { HTTP_INTEGRATION_TIMEOUT_MS, WS_INTEGRATION_TIMEOUT_MS } from '../functions/api-gateway';
import type { Permission } from '../functions/routes';
import { bundleFunction } from './bundling';

/** Repository root: handler entries in `functions/routes.ts` are relative to it. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * How long API Gateway waits for a Lambda integration: 30 s for HTTP APIs,
 * 29 s for WebSocket APIs (API Gateway quotas, `functions/api-gateway.ts`);
 * 15 min for queue consumers (Lambda's maximum). A longer function timeout
 * would keep running after the client already got a 503/504.
 */
export const INTEGRATION_TIMEOUT_LIMIT = {
  http: Duration.millis(HTTP_INTEGRATION_TIMEOUT_MS),
  websocket: Duration.millis(WS_INTEGRATION_TIMEOUT_MS),
  queue: Duration.minutes(15),
} as const;

/** The WebSocket stage whose `@connections` API a function may call. */
export interface WebSocketTarget {
  /** `WebSocketApi.apiId` (a token is fine). */
  readonly apiId: string;
  /** Stage name, e.g. `prod`. */
  readonly stageName: string;
}

export interface ChatFunctionProps {
  /** Entry file relative to `projectRoot` (a route's `handler`); it must export `handler`. */
  readonly entry: string;
  /** Which API invokes the function; bounds `timeout` by that API's integration limit. */
  readonly api: keyof typeof INTEGRATION_TIMEOUT_LIMIT;
  /** The route's `permissions` from `functions/routes.ts`; each becomes the narrowest grant. */
  readonly permissions: readonly Permission[];
  readonly table: ITableV2;
  readonly bucket: IBucket;
  /** The offline-notification bus; `events:put` grants `events:PutEvents` on it only. */
  readonly eventBus: IEventBus;
  /** The fan-out queue; `queue:send` grants `sqs:SendMessage` (and the KMS use it needs) on it only. */
  readonly fanOutQueue: IQueue;
  /** The governance job queue (SPEC §10 erasures and exports); `jobs:send` grants SendMessage on it only. */
  readonly jobQueue: IQueue;
  /**
   * The stack's customer-managed key (`lib/encryption.ts`), if any: encrypts
   * the function's log group; the table, bucket, bus and queue grants add the
   * key use they need (`kms:Decrypt`, `kms:GenerateDataKey*`) on this key only.
   */
  readonly encryptionKey?: IKey;
  /** Of the log group; default RETAIN_ON_UPDATE_OR_DELETE (the stack's `dataRemovalPolicy`). */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Required when `permissions` includes `ws:manage`. */
  readonly webSocket?: WebSocketTarget;
  /**
   * SNS platform application ARNs (`arn:aws:sns:<region>:<account>:app/<APNS|APNS_SANDBOX|GCM>/<name>`):
   * `push:send` grants `sns:CreatePlatformEndpoint` on them and `sns:Publish`/`sns:DeleteEndpoint`
   * on their endpoints only. Required when `permissions` includes `push:send`. `push:unregister`
   * grants only `sns:DeleteEndpoint` on their endpoints (none without applications: push is off,
   * devices never get an endpoint).
   */
  readonly pushApplications?: readonly string[];
  /** Variables from `functions/config.ts`; `NODE_OPTIONS` is added here. */
  readonly environment: Record<string, string>;
  /** Shown in the Lambda console, e.g. the route key. */
  readonly description?: string;
  /** MB; Lambda allocates CPU in proportion. Default 256. */
  readonly memorySize?: number;
  /** Default 10 s, under both integration limits; a slower request is a bug to surface, not to wait out. */
  readonly timeout?: Duration;
  /** Default: this repository. */
  readonly projectRoot?: string;
  /**
   * Files (paths from `projectRoot`) the handler reads at run time, copied
   * next to the bundle under their base names: the route's `assets`
   * (`functions/routes.ts`), e.g. the `/docs` renderer.
   */
  readonly assets?: readonly string[];
  /**
   * X-Ray active tracing and the Powertools tracer (default true). Off, the
   * functions never load the tracer (`functions/lib/tracer.ts`) and get no
   * X-Ray permissions.
   */
  readonly tracing?: boolean;
}

/**
 * `NODE_OPTIONS` of every function: Node maps stack traces through the
 * bundles' source maps, so a logged error names `functions/lib/http.ts:95`
 * instead of a column of minified `index.mjs`. Node reads and parses the map
 * of every file it loads at init, not on the first error; `npm run bench`
 * measures that cost ("source maps" column of bench/RESULTS.md).
 */
export const NODE_OPTIONS = '--enable-source-maps';

/**
 * One route's Lambda function with the project's runtime defaults: Node.js 22
 * on arm64, ES module bundles built by the local esbuild (no Docker; options in
 * `lib/bundling.ts`), X-Ray active tracing, a log group kept one month, and
 * IAM grants derived from the route's `permissions` and nothing else.
 *
 * Each function's asset is self-contained: the AWS SDK v3 clients, Powertools
 * and the X-Ray SDK are bundled (tree-shaken) rather than taken from the
 * runtime's SDK copy or a Powertools layer, so the deployed code is exactly
 * the tested, lock-file-pinned code, and nothing at init comes from outside
 * the bundle. Clients used by few requests load on first use from their own
 * chunks (`functions/lib/storage.ts` etc. import them with `import()`).
 */
export class ChatFunction extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ChatFunctionProps) {
    super(scope, id);
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    const timeout = props.timeout ?? Duration.seconds(10);
    const tracing = props.tracing ?? true;
    const limit = INTEGRATION_TIMEOUT_LIMIT[props.api];
    if (timeout.toSeconds() > limit.toSeconds()) {
      throw new Error(`${id}: timeout ${timeout.toSeconds()} s exceeds the ${props.api} integration limit of ${limit.toSeconds()} s`);
    }

    // Explicit log group instead of `logRetention`, which deploys a custom-resource Lambda just to set retention.
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });

    this.function = new lambda.Function(this, 'Function', {
      code: bundledCode(projectRoot, props.entry, props.assets ?? []),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout,
      description: props.description,
      tracing: tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      logGroup: this.logGroup,
      environment: { ...props.environment, NODE_OPTIONS, ...(tracing ? {} : { POWERTOOLS_TRACE_ENABLED: 'false' }) },
    });

    this.grant(props);
    this.acknowledgeNagFindings(props);
  }

  /**
   * The cdk-nag AwsSolutions findings every chat function has by design, each
   * acknowledged on this function only and, for IAM5, per wildcard (so any
   * other wildcard still fails the synth). `test/cdk/operations.test.ts` keeps them honest.
   */
  private acknowledgeNagFindings(props: ChatFunctionProps): void {
    const fn = this.function;
    const role = fn.role!;
    const ack = (scope: Construct, id: string, reason: string) => Validations.of(scope).acknowledge({ id: `AwsSolutions-${id}`, reason });
    ack(
      fn,
      'L1',
      'Node.js 22 is pinned on purpose: the bundles target node22 and the local stack and CI run Node 20/22 (TOOLCHAIN.md); moving to a newer runtime is a deliberate upgrade, not a synth-time default.',
    );
    ack(
      role,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AWSLambdaBasicExecutionRole only allows writing CloudWatch Logs; the function logs to its own log group (retention set by the stack).',
    );
    // Active tracing (`tracing: ACTIVE`) adds xray:PutTraceSegments/PutTelemetryRecords, which support no resource-level permissions.
    if (props.tracing ?? true) {
      ack(role, 'IAM5[Resource::*]', 'X-Ray PutTraceSegments and PutTelemetryRecords only accept Resource "*" (tests assert no other action gets "*").');
    }
    if (props.encryptionKey) {
      // CDK's table, queue and bus grants name these KMS action families; they apply to the stack's one key only.
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        ack(role, `IAM5[Action::${action}]`, 'Key use granted by the table/queue grants on the stack\'s customer-managed key only (Resource is that key\'s ARN): data keys and re-encryption for SSE-KMS.');
      }
    }
    const permissions = new Set(props.permissions);
    if (permissions.has('table:read') || permissions.has('table:write')) {
      ack(
        role,
        `IAM5[Resource::${nagRef(this, props.table.tableArn)}/index/*]`,
        'Queries on the table\'s own global secondary indexes (functions/data/table.ts): scoped to this table, the index names are data-layer details.',
      );
    }
    if (permissions.has('bucket:read')) {
      for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*']) {
        ack(
          role,
          `IAM5[Action::${action}]`,
          'grantRead on the attachment bucket only: HeadObject/GetObject for attachment checks and presigned downloads; ListBucket makes a missing object a 404 instead of a 403.',
        );
      }
    }
    if (permissions.has('bucket:read') || permissions.has('bucket:write')) {
      ack(
        role,
        `IAM5[Resource::${nagRef(this, props.bucket.bucketArn)}/*]`,
        'Attachment object keys are generated per upload at run time (under pending/ until attached); the grant is limited to the objects of this one bucket.',
      );
    }
    if (permissions.has('push:send') || permissions.has('push:unregister')) {
      for (const app of props.pushApplications ?? []) {
        ack(
          role,
          `IAM5[Resource::${endpointsOf(app)}]`,
          'SNS names a platform endpoint per device token at run time (CreatePlatformEndpoint); the grant covers only the endpoints of this one platform application.',
        );
      }
    }
    if (permissions.has('ws:manage') && props.webSocket) {
      for (const method of ['POST', 'GET', 'DELETE']) {
        const arn = Stack.of(this).formatArn({
          service: 'execute-api',
          resource: props.webSocket.apiId,
          resourceName: `${props.webSocket.stageName}/${method}/@connections/*`,
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        });
        ack(
          role,
          `IAM5[Resource::${nagRef(this, arn)}]`,
          'Connection ids are assigned by API Gateway at $connect; the grant covers exactly one @connections method of this API\'s one stage.',
        );
      }
    }
  }

  private grant(props: ChatFunctionProps): void {
    const fn = this.function;
    for (const permission of new Set(props.permissions)) {
      switch (permission) {
        case 'table:read':
          props.table.grantReadData(fn);
          // The table is encrypted with the stack's key by override (ChatStack.createTable), so its grants omit the key.
          props.encryptionKey?.grant(fn, 'kms:Decrypt', 'kms:DescribeKey');
          break;
        case 'table:write':
          props.table.grantWriteData(fn);
          props.encryptionKey?.grant(fn, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*');
          break;
        case 'bucket:read':
          props.bucket.grantRead(fn);
          break;
        case 'bucket:write':
          // Spelled out rather than `grantWrite`, whose action list depends on feature flags
          // (`s3:PutObject*` includes PutObjectAcl without `@aws-cdk/aws-s3:grantWriteWithoutAcl`).
          // PutObject also covers presigned PUT/POST uploads, which are signed with this role.
          fn.addToRolePolicy(
            new iam.PolicyStatement({
              actions: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
              resources: [props.bucket.arnForObjects('*')],
            }),
          );
          // SSE-KMS uploads (presigned ones too, signed with this role) need a data key from the bucket's key.
          props.encryptionKey?.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
          break;
        case 'ws:manage':
          fn.addToRolePolicy(manageConnectionsStatement(this, props.webSocket));
          break;
        case 'events:put':
          props.eventBus.grantPutEventsTo(fn);
          break;
        case 'queue:send':
          props.fanOutQueue.grantSendMessages(fn);
          break;
        case 'jobs:send':
          props.jobQueue.grantSendMessages(fn);
          break;
        case 'push:send': {
          const apps = props.pushApplications ?? [];
          if (apps.length === 0) throw new Error(`${this.node.path}: permission push:send needs pushApplications`);
          fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:CreatePlatformEndpoint'], resources: [...apps] }));
          fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:Publish', 'sns:DeleteEndpoint'], resources: apps.map(endpointsOf) }));
          break;
        }
        case 'push:unregister': {
          // Devices that go away delete their endpoint (functions/domain/devices.ts); nothing else.
          const apps = props.pushApplications ?? [];
          if (apps.length > 0) fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:DeleteEndpoint'], resources: apps.map(endpointsOf) }));
          break;
        }
        default: {
          const unknown: never = permission;
          throw new Error(`Unknown permission ${String(unknown)}`);
        }
      }
    }
  }
}

/**
 * The function's code: `entry` bundled by `lib/bundling.ts` with the local
 * esbuild during the synth. The asset's hash is that of the bundle (as
 * `NodejsFunction` does), so a change anywhere in what the handler imports,
 * the lock file's versions included, deploys a new version. When the synth
 * skips bundling (`aws:cdk:bundling-stacks`), CDK never calls `tryBundle`.
 */
function bundledCode(projectRoot: string, entry: string, assets: readonly string[]): lambda.Code {
  return lambda.Code.fromAsset(projectRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: local bundling always succeeds or throws (esbuild is a devDependency).
      image: DockerImage.fromRegistry('local-esbuild-only'),
      local: new LocalEsbuild(projectRoot, entry, assets),
    },
  });
}

/**
 * CDK caches staged assets by their source path and bundling options
 * (serialized as JSON), so the entry must be a field of the local bundler:
 * with only a `tryBundle` function every function would get the first one's bundle.
 */
class LocalEsbuild implements ILocalBundling {
  constructor(
    readonly projectRoot: string,
    readonly entry: string,
    /** The route's `assets`: copied next to the bundle under their base names (e.g. the `/docs` renderer). */
    readonly assets: readonly string[],
  ) {}

  tryBundle(outputDir: string): boolean {
    bundleFunction(this.projectRoot, this.entry, outputDir);
    for (const asset of this.assets) copyFileSync(path.join(this.projectRoot, asset), path.join(outputDir, path.basename(asset)));
    return true;
  }
}

/**
 * A token-bearing string rendered the way cdk-nag names resources in findings:
 * `Ref` → `<LogicalId>`, `Fn::GetAtt` → `<LogicalId.Attr>`, `Fn::Join` joined.
 */
function nagRef(scope: Construct, value: string): string {
  const flat = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, any>;
    if (o && 'Ref' in o) return `<${o.Ref}>`;
    if (o && 'Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if (o && 'Fn::Join' in o) return (o['Fn::Join'][1] as unknown[]).map(flat).join(o['Fn::Join'][0] as string);
    throw new Error(`Cannot render ${JSON.stringify(v)} for cdk-nag`);
  };
  return flat(Stack.of(scope).resolve(value));
}

/** The ARN pattern of a platform application's endpoints: `…:app/GCM/name` → `…:endpoint/GCM/name/*`. */
export function endpointsOf(applicationArn: string): string {
  return `${applicationArn.replace(/:app\//, ':endpoint/')}/*`;
}

/**
 * `execute-api:ManageConnections` on exactly the three `@connections` calls
 * (post, get, delete) of one stage, not `*` or the whole API.
 */
function manageConnectionsStatement(scope: Construct, target: WebSocketTarget | undefined): iam.PolicyStatement {
  if (!target) throw new Error(`${scope.node.path}: permission ws:manage needs the webSocket prop`);
  const stack = Stack.of(scope);
  return new iam.PolicyStatement({
    actions: ['execute-api:ManageConnections'],
    resources: ['POST', 'GET', 'DELETE'].map((method) =>
      stack.formatArn({
        service: 'execute-api',
        resource: target.apiId,
        resourceName: `${target.stageName}/${method}/@connections/*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    ),
  });
}
