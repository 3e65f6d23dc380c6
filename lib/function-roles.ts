/**
 * The functions' IAM execution roles: one role per distinct permission set of
 * the route table (`functions/routes.ts`), shared by every function whose
 * route declares exactly that set, instead of one role and one policy per
 * function.
 *
 * Why: CloudFormation allows 500 resources per stack (AWS quota "Resources per
 * stack"), and a role plus its default policy per function took ~130 of them
 * for ~65 functions; the ~17 distinct permission sets need ~34. Least privilege
 * is unchanged: a function's role grants exactly its route's `permissions`,
 * each as the narrowest grant below, and two functions share a role only when
 * their routes declare the same set (`test/cdk/stack.test.ts` checks both).
 * What is lost is per-function attribution in CloudTrail (the session name
 * still names the function).
 */
import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Permission } from '../functions/routes';

/** The WebSocket stage whose `@connections` API a function may call. */
export interface WebSocketTarget {
  /** `WebSocketApi.apiId` (a token is fine). */
  readonly apiId: string;
  /** Stage name, e.g. `prod`. */
  readonly stageName: string;
}

export interface FunctionRolesProps {
  readonly table: ITableV2;
  readonly bucket: IBucket;
  /** The offline-notification bus; `events:put` grants `events:PutEvents` on it only. */
  readonly eventBus: IEventBus;
  /** The fan-out queue; `queue:send` grants `sqs:SendMessage` (and the KMS use it needs) on it only. */
  readonly fanOutQueue: IQueue;
  /** The governance job queue (SPEC §10 erasures and exports); `jobs:send` grants SendMessage on it only. */
  readonly jobQueue: IQueue;
  /**
   * The stack's customer-managed key (`lib/encryption.ts`), if any: the table,
   * bucket, bus and queue grants add the key use they need (`kms:Decrypt`,
   * `kms:GenerateDataKey*`) on this key only.
   */
  readonly encryptionKey?: IKey;
  /** Required when a permission set includes `ws:manage`. */
  readonly webSocket?: WebSocketTarget;
  /**
   * SNS platform application ARNs (`arn:aws:sns:<region>:<account>:app/<APNS|APNS_SANDBOX|GCM>/<name>`):
   * `push:send` grants `sns:CreatePlatformEndpoint` on them and `sns:Publish`/`sns:DeleteEndpoint`/
   * `sns:SetEndpointAttributes` (taking over a token's endpoint left with another user's data,
   * `functions/lib/sns-push.ts`) on their endpoints only. Required when a permission set includes `push:send`. `push:unregister`
   * grants only `sns:DeleteEndpoint` on their endpoints (none without applications: push is off,
   * devices never get an endpoint).
   */
  readonly pushApplications?: readonly string[];
  /** X-Ray active tracing on the functions (default true): their roles get the X-Ray actions (Resource `*`). */
  readonly tracing?: boolean;
}

/** The key of a permission set: its distinct permissions, sorted (`table:read table:write`). */
export function permissionSetKey(permissions: readonly Permission[]): string {
  return [...new Set(permissions)].sort().join(' ');
}

export class FunctionRoles extends Construct {
  private readonly roles = new Map<string, iam.Role>();

  constructor(
    scope: Construct,
    id: string,
    private readonly props: FunctionRolesProps,
  ) {
    super(scope, id);
  }

  /** Every role created so far, by permission set key. */
  get all(): ReadonlyMap<string, iam.Role> {
    return this.roles;
  }

  /**
   * The role of one permission set, created on first use: assumed by Lambda,
   * AWSLambdaBasicExecutionRole (logs), and the grants of `permissions`.
   * @throws Error when `ws:manage` lacks `webSocket` or `push:send` lacks `pushApplications`.
   */
  roleFor(permissions: readonly Permission[]): iam.Role {
    const key = permissionSetKey(permissions);
    const existing = this.roles.get(key);
    if (existing) return existing;
    const id = key === '' ? 'NoPermissions' : key.split(' ').map((p) => p.split(':').map(capitalize).join('')).join('');
    const role = new iam.Role(this, id, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Chat functions with permissions: ${key || 'none (logs only)'}`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    });
    const set = new Set(key === '' ? [] : (key.split(' ') as Permission[]));
    this.grant(role, set);
    this.acknowledgeNagFindings(role, set);
    this.roles.set(key, role);
    return role;
  }

  private grant(role: iam.Role, permissions: ReadonlySet<Permission>): void {
    const props = this.props;
    for (const permission of permissions) {
      switch (permission) {
        case 'table:read':
          props.table.grantReadData(role);
          // The table is encrypted with the stack's key by override (ChatStack.createTable), so its grants omit the key.
          props.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:DescribeKey');
          break;
        case 'table:write':
          props.table.grantWriteData(role);
          props.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*');
          break;
        case 'bucket:read':
          props.bucket.grantRead(role);
          break;
        case 'bucket:write':
          // Spelled out rather than `grantWrite`, whose action list depends on feature flags
          // (`s3:PutObject*` includes PutObjectAcl without `@aws-cdk/aws-s3:grantWriteWithoutAcl`).
          // PutObject also covers presigned PUT/POST uploads, which are signed with this role.
          role.addToPrincipalPolicy(
            new iam.PolicyStatement({
              actions: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
              resources: [props.bucket.arnForObjects('*')],
            }),
          );
          // SSE-KMS uploads (presigned ones too, signed with this role) need a data key from the bucket's key.
          props.encryptionKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
          break;
        case 'ws:manage':
          role.addToPrincipalPolicy(manageConnectionsStatement(this, props.webSocket));
          break;
        case 'events:put':
          props.eventBus.grantPutEventsTo(role);
          break;
        case 'queue:send':
          props.fanOutQueue.grantSendMessages(role);
          break;
        case 'jobs:send':
          props.jobQueue.grantSendMessages(role);
          break;
        case 'push:send': {
          const apps = props.pushApplications ?? [];
          if (apps.length === 0) throw new Error(`${this.node.path}: permission push:send needs pushApplications`);
          role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:CreatePlatformEndpoint'], resources: [...apps] }));
          role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish', 'sns:DeleteEndpoint', 'sns:SetEndpointAttributes'], resources: apps.map(endpointsOf) }));
          break;
        }
        case 'push:unregister': {
          // Devices that go away delete their endpoint (functions/domain/devices.ts); nothing else.
          const apps = props.pushApplications ?? [];
          if (apps.length > 0) role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:DeleteEndpoint'], resources: apps.map(endpointsOf) }));
          break;
        }
        default: {
          const unknown: never = permission;
          throw new Error(`Unknown permission ${String(unknown)}`);
        }
      }
    }
  }

  /**
   * The cdk-nag AwsSolutions findings every function role has by design, each
   * acknowledged on this role only and, for IAM5, per wildcard (so any other
   * wildcard still fails the synth). `test/cdk/operations.test.ts` keeps them honest.
   */
  private acknowledgeNagFindings(role: iam.Role, permissions: ReadonlySet<Permission>): void {
    const props = this.props;
    const ack = (id: string, reason: string) => Validations.of(role).acknowledge({ id: `AwsSolutions-${id}`, reason });
    ack(
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AWSLambdaBasicExecutionRole only allows writing CloudWatch Logs; each function logs to its own log group (retention set by the stack).',
    );
    // Active tracing (`tracing: ACTIVE`) adds xray:PutTraceSegments/PutTelemetryRecords, which support no resource-level permissions.
    if (props.tracing ?? true) {
      ack('IAM5[Resource::*]', 'X-Ray PutTraceSegments and PutTelemetryRecords only accept Resource "*" (tests assert no other action gets "*").');
    }
    if (props.encryptionKey) {
      // CDK's table, queue and bus grants name these KMS action families; they apply to the stack's one key only.
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        ack(`IAM5[Action::${action}]`, 'Key use granted by the table/queue grants on the stack\'s customer-managed key only (Resource is that key\'s ARN): data keys and re-encryption for SSE-KMS.');
      }
    }
    if (permissions.has('table:read') || permissions.has('table:write')) {
      ack(
        `IAM5[Resource::${nagRef(this, props.table.tableArn)}/index/*]`,
        'Queries on the table\'s own global secondary indexes (functions/data/table.ts): scoped to this table, the index names are data-layer details.',
      );
    }
    if (permissions.has('bucket:read')) {
      for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*']) {
        ack(
          `IAM5[Action::${action}]`,
          'grantRead on the attachment bucket only: HeadObject/GetObject for attachment checks and presigned downloads; ListBucket makes a missing object a 404 instead of a 403.',
        );
      }
    }
    if (permissions.has('bucket:read') || permissions.has('bucket:write')) {
      ack(
        `IAM5[Resource::${nagRef(this, props.bucket.bucketArn)}/*]`,
        'Attachment object keys are generated per upload at run time (under pending/ until attached); the grant is limited to the objects of this one bucket.',
      );
    }
    if (permissions.has('push:send') || permissions.has('push:unregister')) {
      for (const app of props.pushApplications ?? []) {
        ack(
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
          `IAM5[Resource::${nagRef(this, arn)}]`,
          'Connection ids are assigned by API Gateway at $connect; the grant covers exactly one @connections method of this API\'s one stage.',
        );
      }
    }
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
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
