import { copyFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Validations, type ILocalBundling } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HTTP_INTEGRATION_TIMEOUT_MS, WS_INTEGRATION_TIMEOUT_MS } from '../functions/api-gateway';
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

export interface ChatFunctionProps {
  /** Entry file relative to `projectRoot` (a route's `handler`); it must export `handler`. */
  readonly entry: string;
  /** Which API invokes the function; bounds `timeout` by that API's integration limit. */
  readonly api: keyof typeof INTEGRATION_TIMEOUT_LIMIT;
  /**
   * The execution role of the route's permission set (`FunctionRoles.roleFor(route.permissions)`,
   * `lib/function-roles.ts`): shared with the functions whose routes declare the same set.
   */
  readonly role: iam.IRole;
  /**
   * The stack's customer-managed key (`lib/encryption.ts`), if any: encrypts the function's log group.
   */
  readonly encryptionKey?: IKey;
  /** Of the log group; default RETAIN_ON_UPDATE_OR_DELETE (the stack's `dataRemovalPolicy`). */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Variables from `functions/config.ts` (`POWERTOOLS_TRACE_ENABLED=false` is added here without tracing). */
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
 * Node's own source-map support, which the functions do NOT turn on (they
 * set no `NODE_OPTIONS`): with it Node reads and parses the map of every file
 * it loads, and scans each file's whole text, during the import; measured in
 * `npm run bench` ("with Node's maps" against "tracing off" in
 * bench/RESULTS.md) that was ≈ 0.05–0.1 × the cold-start baseline of issue 20.
 * Instead each bundle maps its stack traces itself, reading a map only when
 * an error's stack is first formatted (`functions/lib/source-mapped-stacks.ts`),
 * so a logged error still names `/var/task/functions/lib/http.ts:95:11`. An
 * operator may still set `NODE_OPTIONS=--enable-source-maps` on a function
 * (then Node maps, and the bundle's formatter stands aside).
 */
export const NODE_SOURCE_MAPS = '--enable-source-maps';

/**
 * One route's Lambda function with the project's runtime defaults: Node.js 22
 * on arm64, ES module bundles built by the local esbuild (no Docker; options in
 * `lib/bundling.ts`), X-Ray active tracing, a log group kept one month, and
 * the execution role of the route's permission set (`lib/function-roles.ts`:
 * grants derived from the route's `permissions` and nothing else).
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
  /** The function's timeout (default 10 s): the latency alarms compare durations with it. */
  readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: ChatFunctionProps) {
    super(scope, id);
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    const timeout = props.timeout ?? Duration.seconds(10);
    this.timeout = timeout;
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
      role: props.role,
      environment: { ...props.environment, ...(tracing ? {} : { POWERTOOLS_TRACE_ENABLED: 'false' }) },
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is pinned on purpose: the bundles target node22 and the local stack and CI run Node 20/22 (TOOLCHAIN.md); moving to a newer runtime is a deliberate upgrade, not a synth-time default.',
    });
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
