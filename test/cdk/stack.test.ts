/**
 * Assertions on the synthesized CloudFormation of `ChatStack` (SPEC §1-2).
 * The expectations are derived from the route table and the table definition,
 * so adding a route or an index is checked without editing this file.
 *
 * The default variant bundles every function for real (local esbuild); the
 * other variants skip bundling (`aws:cdk:bundling-stacks`) since they only
 * check configuration.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isBuiltin } from 'node:module';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORS } from '../../functions/api-gateway';
import { GLOBAL_SECONDARY_INDEXES, KEY, TTL_ATTRIBUTE } from '../../functions/data/table';
import { httpRoutes, queueRoutes, scheduledRoutes, wsRoutes, type Permission } from '../../functions/routes';
import { PROJECT_ROOT } from '../../lib/chat-function';
import { permissionSetKey } from '../../lib/function-roles';
import { ChatStack, WEBSOCKET_STAGE_NAME } from '../../lib/chat-stack';
import { asArray, flatten, Synth, type Json, type Resource, type Statement } from './template';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const actionsOf = (statements: Statement[]) => statements.flatMap((s) => asArray(s.Action));

/**
 * Cloud assemblies (the bundled one is ~100 MB) go under one temp dir, removed after the run. It has no
 * node_modules on its path, as Lambda's /var/task has none: the bundles must be self-contained.
 */
const outRoot = mkdtempSync(path.join(tmpdir(), 'chat-cdk-test-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

function newApp(context: Record<string, unknown>, bundle: boolean): App {
  return new App({
    outdir: mkdtempSync(path.join(outRoot, 'cdk.out-')),
    context: bundle ? context : { ...context, 'aws:cdk:bundling-stacks': [] },
  });
}

function synth(context: Record<string, unknown>, bundle: boolean): Synth {
  const app = newApp(context, bundle);
  const template = Template.fromStack(new ChatStack(app, 'TestChat'));
  return new Synth(template, app.synth().directory);
}

const DYNAMODB_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const OIDC = {
  oidcIssuer: 'https://issuer.example.com/',
  oidcAudience: 'chat-api',
  oidcJwksUri: 'https://issuer.example.com/.well-known/jwks.json',
};
const allRoutes = [
  ...httpRoutes.map((r) => ({ name: r.name, description: `${r.method} ${r.path}`, permissions: r.permissions as readonly Permission[] })),
  ...wsRoutes.map((r) => ({ name: r.name, description: `WebSocket ${r.routeKey}`, permissions: r.permissions as readonly Permission[] })),
  ...queueRoutes.map((r) => ({ name: r.name, description: `SQS ${r.name}`, permissions: r.permissions as readonly Permission[] })),
  ...scheduledRoutes.map((r) => ({ name: r.name, description: `Schedule ${r.name}`, permissions: r.permissions as readonly Permission[] })),
];
/** The JavaScript files of a function's asset, relative to it. */
function codeFilesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.mjs'));
}

/** `index.mjs` and every chunk it imports statically, transitively: what Node loads at init (`import()` targets load later). */
function initFilesIn(dir: string): string[] {
  const seen = new Set<string>();
  const pending = ['index.mjs'];
  while (pending.length) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(path.join(dir, file), 'utf8');
    // Static imports only: `import{a as b}from"./chunks/x.mjs"` or `import"./chunks/x.mjs"`, not `import("./chunks/x.mjs")`.
    for (const m of code.matchAll(/(?:^|[;}\n])\s*(?:import|export)\s*(?:[\w${},*\s]+from\s*)?["'](\.\.?\/[^"']+)["']/g)) {
      pending.push(path.normalize(path.join(path.dirname(file), m[1]!)));
    }
  }
  return [...seen];
}

const appVersion = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

// ---- default variant (Cognito, bundled) -------------------------------------

describe('ChatStack (default: Cognito)', () => {
  let s: Synth;
  let httpApiId: string;
  let wsApiId: string;

  beforeAll(() => {
    s = synth({}, true);
    [httpApiId] = s.only('AWS::ApiGatewayV2::Api', (r) => r.Properties.ProtocolType === 'HTTP');
    [wsApiId] = s.only('AWS::ApiGatewayV2::Api', (r) => r.Properties.ProtocolType === 'WEBSOCKET');
  }, 300_000);

  describe('functions', () => {
    it('has one function per route, and no more', () => {
      expect(s.chatFunctions()).toHaveLength(httpRoutes.length + wsRoutes.length + queueRoutes.length + scheduledRoutes.length);
      const descriptions = s.chatFunctions().map(([, r]) => r.Properties.Description).sort();
      expect(descriptions).toEqual(allRoutes.map((r) => r.description).sort());
    });

    it('runs Node.js 22 on arm64 with active tracing, 256 MB, within the integration timeout (API functions)', () => {
      for (const [id, fn] of s.chatFunctions()) {
        expect(fn.Properties.Runtime, id).toBe('nodejs22.x');
        expect(fn.Properties.Architectures, id).toEqual(['arm64']);
        expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
        expect(fn.Properties.MemorySize, id).toBe(256);
        // API Gateway's integration timeout bounds API functions; the queue workers have their own
        // (fan-out 60 s; governance 120 s, since an erasure batch stops ~20 s before its deadline).
        expect(fn.Properties.Timeout, id).toBeLessThanOrEqual(fn.Properties.Description.startsWith('SQS ') ? 120 : 29);
        expect(fn.Properties.Handler, id).toBe('index.handler');
      }
    });

    it('attaches no layer and resolves no SSM parameter: Powertools and the SDK are in the bundles', () => {
      for (const [id, fn] of s.chatFunctions()) expect(fn.Properties.Layers, id).toBeUndefined();
      const parameters = Object.values(s.template.toJSON().Parameters ?? {}) as Json[];
      // CDK's own BootstrapVersion parameter aside (`/cdk-bootstrap/...`).
      expect(parameters.filter((p) => String(p.Default).startsWith('/aws/service/'))).toEqual([]);
      expect(parameters.length).toBeGreaterThan(0);
    });

    it('logs to its own log group kept one month', () => {
      for (const [id, fn] of s.chatFunctions()) {
        const logGroupId = fn.Properties.LoggingConfig?.LogGroup?.Ref as string;
        expect(logGroupId, id).toBeTruthy();
        expect(s.resources[logGroupId]?.Type).toBe('AWS::Logs::LogGroup');
        expect(s.resources[logGroupId]?.Properties.RetentionInDays).toBe(30);
      }
      expect(s.ofType('Custom::LogRetention')).toHaveLength(0);
    });

    it('sets the environment functions/config.ts reads', () => {
      const [tableId] = s.only('AWS::DynamoDB::GlobalTable');
      const [bucketId] = s.attachmentBucket();
      const [poolId] = s.only('AWS::Cognito::UserPool');
      const [clientId] = s.only('AWS::Cognito::UserPoolClient');
      for (const [id, fn] of s.chatFunctions()) {
        const env = fn.Properties.Environment.Variables;
        expect(env.TABLE_NAME, id).toEqual({ Ref: tableId });
        expect(env.BUCKET_NAME, id).toEqual({ Ref: bucketId });
        expect(env.EVENT_BUS_NAME, id).toEqual({ Ref: s.only('AWS::Events::EventBus')[0] });
        expect(flatten(env.WS_ENDPOINT), id).toBe(
          `https://\${${wsApiId}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/${WEBSOCKET_STAGE_NAME}`,
        );
        expect(env.AUTH_MODE, id).toBe('cognito');
        expect(env.COGNITO_USER_POOL_ID, id).toEqual({ Ref: poolId });
        expect(env.COGNITO_CLIENT_ID, id).toEqual({ Ref: clientId });
        expect(env.OIDC_ISSUER, id).toBeUndefined();
        expect(env.APP_VERSION, id).toBe(appVersion);
        // No --enable-source-maps: the bundles map their stack traces themselves, lazily (functions/lib/source-mapped-stacks.ts).
        expect(env.NODE_OPTIONS, id).toBeUndefined();
      }
    });

    it('bundles self-contained ES modules with the require shim and linked source maps, within 1.5 MB', () => {
      for (const [id, fn] of s.chatFunctions()) {
        const dir = s.assetDir(fn);
        const files = codeFilesIn(dir);
        expect(files, id).toContain('index.mjs');
        let bytes = 0;
        for (const file of files) {
          const code = readFileSync(path.join(dir, file), 'utf8');
          bytes += code.length;
          expect(code.slice(0, 60), `${id} ${file}`).toMatch(/^import \{ createRequire as __chatCreateRequire \}/);
          // Nothing left to the runtime's SDK copy or a layer: no bare import of a package, only node: built-ins and ./ chunks.
          const specifiers = [...code.matchAll(/(?:(?:^|[;}\n])\s*(?:import|export)\s*(?:[\w${},*\s]+from\s*)?|\bimport\(\s*)["']([^"']+)["']/g)].map((m) => m[1]!);
          expect(specifiers.filter((spec) => !spec.startsWith('./') && !spec.startsWith('../') && !isBuiltin(spec)), `${id} ${file}`).toEqual([]);
          const mapName = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(code)?.[1];
          expect(mapName, `${id} ${file}`).toBe(`${path.basename(file)}.map`);
          const map = JSON.parse(readFileSync(path.join(dir, `${file}.map`), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
          expect(map.sourcesContent, `${id} ${file}`).toBeUndefined();
          // Sources resolve inside the asset as if the repository sat there (/var/task/functions/...), wherever the synth ran.
          for (const source of map.sources) {
            const resolved = path.relative(dir, path.resolve(path.dirname(path.join(dir, file)), source));
            expect(resolved.startsWith('..') || path.isAbsolute(source), `${id} ${file}: ${source}`).toBe(false);
          }
        }
        expect(bytes, id).toBeGreaterThan(100 * 1024);
        // Issue 20: each function's code (entry and chunks, maps aside) stays within 1.5 MB.
        expect(bytes, id).toBeLessThanOrEqual(1.5 * 1024 * 1024);
      }
    });

    it('loads the DynamoDB client at init only in functions with a table permission', () => {
      const noTable = allRoutes.filter((r) => !r.permissions.some((p) => p.startsWith('table:'))).map((r) => r.description);
      // The API documents and the page: if this list goes empty, the check below no longer checks anything.
      expect(noTable.length).toBeGreaterThan(0);
      for (const [id, fn] of s.chatFunctions()) {
        const dir = s.assetDir(fn);
        // The DynamoDB client's protocol target prefix: in whichever chunk holds the client.
        const atInit = initFilesIn(dir).some((file) => readFileSync(path.join(dir, file), 'utf8').includes('DynamoDB_20120810'));
        // `$default` reads the connection record (a frame after the token's exp answers `unauthorized`, SPEC §6)
        // but loads the client on its first frame, not at init: answering garbage stays cheap to start.
        if (fn.Properties.Description === 'WebSocket $default') expect(atInit, id).toBe(false);
        else expect(atInit, `${id} (${fn.Properties.Description})`).toBe(!noTable.includes(fn.Properties.Description));
      }
    });

    it('loads in Node.js and exports a handler (ESM with CommonJS dependencies)', () => {
      // Catches "Dynamic require of ... is not supported" and other load-time failures of the bundle.
      const env = {
        ...process.env,
        AWS_REGION: 'us-east-1',
        TABLE_NAME: 'table',
        BUCKET_NAME: 'bucket',
        WS_ENDPOINT: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod',
        AUTH_MODE: 'oidc',
        OIDC_ISSUER: OIDC.oidcIssuer,
        OIDC_AUDIENCE: OIDC.oidcAudience,
        OIDC_JWKS_URI: OIDC.oidcJwksUri,
        NODE_OPTIONS: '',
      };
      for (const [id, fn] of s.chatFunctions()) {
        const bundle = path.join(s.assetDir(fn), 'index.mjs');
        const probe = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); console.log(typeof m.handler);`;
        const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { env, encoding: 'utf8', timeout: 30_000 });
        expect(result.stderr.slice(0, 2000), id).toBe('');
        expect(result.stdout.trim(), id).toBe('function');
      }
    }, 120_000);
  });

  describe('the /docs renderer (issue 16)', () => {
    /**
     * The one function that carries a file besides its code: Redoc's
     * standalone renderer (~2.3 MB; ~0.65 MB in the deployment zip, far under
     * Lambda's 50 MB zipped / 250 MB unzipped limits) so `/docs` works without
     * a CDN. Its code stays within the 1.5 MB every function keeps (the test
     * above; the renderer is read from disk on the first request, never
     * parsed as code at cold start), so only this function's asset grows, by
     * at most 2.5 MB.
     */
    it('ships redoc.standalone.js next to the DocsRenderer bundle only, and the bundle serves that copy', () => {
      for (const [id, fn] of s.chatFunctions()) {
        const files = readdirSync(s.assetDir(fn), { recursive: true, encoding: 'utf8' });
        const extra = files.filter((f) => statSync(path.join(s.assetDir(fn), f)).isFile() && !/\.mjs(\.map)?$/.test(f));
        if (id.startsWith('DocsRenderer')) {
          expect(extra, id).toEqual(['redoc.standalone.js']);
          expect(statSync(path.join(s.assetDir(fn), 'redoc.standalone.js')).size, id).toBeLessThanOrEqual(2.5 * 1024 * 1024);
          const bundle = pathToFileURL(path.join(s.assetDir(fn), 'index.mjs')).href;
          // Run outside the repository, as Lambda does: the copy next to index.mjs is the only one it can find.
          const probe = `const { handler } = await import(${JSON.stringify(bundle)});
            const res = await handler({ version: '2.0', routeKey: 'GET /docs/redoc.js', rawPath: '/docs/redoc.js', rawQueryString: '', headers: { 'accept-encoding': 'gzip' },
              requestContext: { requestId: 'r', http: { method: 'GET', path: '/docs/redoc.js' } }, isBase64Encoded: false }, { functionName: 'f', awsRequestId: 'a' });
            const bytes = (await import('node:zlib')).gunzipSync(Buffer.from(res.body, 'base64'));
            console.log(JSON.stringify({ status: res.statusCode, encoding: res.headers['content-encoding'], bytes: bytes.length }));`;
          const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
            cwd: tmpdir(),
            env: { ...process.env, AWS_REGION: 'us-east-1', TABLE_NAME: 't', WS_ENDPOINT: 'https://x.example/prod', AUTH_MODE: 'oidc', OIDC_ISSUER: OIDC.oidcIssuer, OIDC_AUDIENCE: OIDC.oidcAudience, OIDC_JWKS_URI: OIDC.oidcJwksUri, POWERTOOLS_METRICS_DISABLED: 'true' },
            encoding: 'utf8',
            timeout: 30_000,
          });
          expect(result.stderr.slice(0, 2000), id).toBe('');
          expect(JSON.parse(result.stdout.trim().split('\n').pop()!), id).toEqual({ status: 200, encoding: 'gzip', bytes: statSync(path.join(s.assetDir(fn), 'redoc.standalone.js')).size });
        } else {
          expect(extra, id).toEqual([]);
        }
      }
    }, 60_000);
  });

  describe('HTTP API', () => {
    it.each(httpRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('routes %s to its own function', (routeKey, route) => {
      const [routeId, routeRes] = s.only('AWS::ApiGatewayV2::Route', (r) => r.Properties.RouteKey === routeKey);
      expect(routeRes.Properties.ApiId).toEqual({ Ref: httpApiId });
      const { integration, functionId } = s.routeTarget(routeId);
      expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
      expect(s.resources[functionId]!.Properties.Description).toBe(routeKey);
      expect(functionId.startsWith(route.name)).toBe(true);
    });

    it('has exactly the route table, and nothing under /dev', () => {
      const keys = s
        .ofType('AWS::ApiGatewayV2::Route')
        .filter(([, r]) => r.Properties.ApiId.Ref === httpApiId)
        .map(([, r]) => r.Properties.RouteKey as string);
      expect(keys.sort()).toEqual(httpRoutes.map((r) => `${r.method} ${r.path}`).sort());
      expect(keys.some((k) => / \/dev(\/|$)/.test(k))).toBe(false);
    });

    it('answers CORS preflights for the methods in use, cached a day', () => {
      const [, api] = s.only('AWS::ApiGatewayV2::Api', (r) => r.Properties.ProtocolType === 'HTTP');
      const cors = api.Properties.CorsConfiguration;
      expect(cors.AllowOrigins).toEqual(['*']);
      expect(cors.AllowHeaders).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']));
      expect([...cors.AllowMethods].sort()).toEqual([...new Set(httpRoutes.map((r) => r.method))].sort());
      expect(cors.MaxAge).toBe(86_400);
      // The same facts the local gateway serves (functions/api-gateway.ts).
      expect(cors).toMatchObject({ AllowHeaders: [...CORS.allowHeaders], ExposeHeaders: [...CORS.exposeHeaders], MaxAge: CORS.maxAgeSeconds });
    });

    it('throttles the auto-deployed $default stage', () => {
      const [, stage] = s.only('AWS::ApiGatewayV2::Stage', (r) => r.Properties.ApiId.Ref === httpApiId);
      expect(stage.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 },
      });
    });

    it('leaves authentication to the handlers (no API Gateway authorizer)', () => {
      expect(s.ofType('AWS::ApiGatewayV2::Authorizer')).toHaveLength(0);
      for (const [, r] of s.ofType('AWS::ApiGatewayV2::Route')) expect(r.Properties.AuthorizationType).toBe('NONE');
    });
  });

  describe('WebSocket API', () => {
    it('selects routes on $request.body.action', () => {
      const [, api] = s.only('AWS::ApiGatewayV2::Api', (r) => r.Properties.ProtocolType === 'WEBSOCKET');
      expect(api.Properties.RouteSelectionExpression).toBe('$request.body.action');
    });

    it.each(wsRoutes.map((r) => [r.routeKey, r] as const))('routes %s to its own function', (routeKey, route) => {
      const [routeId, routeRes] = s.only(
        'AWS::ApiGatewayV2::Route',
        (r) => r.Properties.RouteKey === routeKey && r.Properties.ApiId.Ref === wsApiId,
      );
      const { functionId } = s.routeTarget(routeId);
      expect(s.resources[functionId]!.Properties.Description).toBe(`WebSocket ${routeKey}`);
      expect(routeRes.Properties.AuthorizationType).toBe('NONE');
      const responses = s.ofType('AWS::ApiGatewayV2::RouteResponse').filter(([, r]) => r.Properties.RouteId.Ref === routeId);
      if (route.returnResponse) {
        expect(responses).toHaveLength(1);
        expect(responses[0]![1].Properties.RouteResponseKey).toBe('$default');
        expect(routeRes.Properties.RouteResponseSelectionExpression).toBe('$default');
      } else {
        expect(responses).toHaveLength(0);
      }
    });

    it('has exactly the route table', () => {
      const keys = s
        .ofType('AWS::ApiGatewayV2::Route')
        .filter(([, r]) => r.Properties.ApiId.Ref === wsApiId)
        .map(([, r]) => r.Properties.RouteKey as string);
      expect(keys.sort()).toEqual(wsRoutes.map((r) => r.routeKey).sort());
    });

    it('deploys the prod stage automatically, throttled', () => {
      const [, stage] = s.only('AWS::ApiGatewayV2::Stage', (r) => r.Properties.ApiId.Ref === wsApiId);
      expect(stage.Properties).toMatchObject({
        StageName: WEBSOCKET_STAGE_NAME,
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 },
      });
    });
  });

  describe('DynamoDB table', () => {
    it('uses the key schema, indexes and TTL from functions/data/table.ts', () => {
      const [, table] = s.only('AWS::DynamoDB::GlobalTable');
      const p = table.Properties;
      expect(p.KeySchema).toEqual([
        { AttributeName: KEY.pk, KeyType: 'HASH' },
        { AttributeName: KEY.sk, KeyType: 'RANGE' },
      ]);
      const keyAttributes = [KEY.pk, KEY.sk, ...GLOBAL_SECONDARY_INDEXES.flatMap((g) => [g.partitionKey, g.sortKey])];
      expect(p.AttributeDefinitions).toHaveLength(keyAttributes.length);
      expect(p.AttributeDefinitions).toEqual(
        expect.arrayContaining(keyAttributes.map((AttributeName) => ({ AttributeName, AttributeType: 'S' }))),
      );
      expect(p.GlobalSecondaryIndexes).toHaveLength(GLOBAL_SECONDARY_INDEXES.length);
      for (const gsi of GLOBAL_SECONDARY_INDEXES) {
        const actual = p.GlobalSecondaryIndexes.find((g: Json) => g.IndexName === gsi.indexName);
        expect(actual, gsi.indexName).toBeDefined();
        expect(actual.KeySchema).toEqual([
          { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
          { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
        ]);
        expect(actual.Projection).toEqual(
          gsi.projection === 'INCLUDE'
            ? { ProjectionType: 'INCLUDE', NonKeyAttributes: gsi.nonKeyAttributes }
            : { ProjectionType: gsi.projection },
        );
      }
      expect(p.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
    });

    it('is on-demand, backed up, encrypted with the AWS managed key, retained and deletion-protected', () => {
      const [, table] = s.only('AWS::DynamoDB::GlobalTable');
      const p = table.Properties;
      expect(p.BillingMode).toBe('PAY_PER_REQUEST');
      expect(p.Replicas).toHaveLength(1);
      expect(p.Replicas[0].PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(p.Replicas[0].DeletionProtectionEnabled).toBe(true);
      expect(p.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
      expect(p.SSESpecification.KMSMasterKeyId).toBeUndefined();
      // Kept on delete and replacement, but removed when a failed first deploy rolls back (issue 19).
      expect(table.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(table.UpdateReplacePolicy).toBe('Retain');
    });
  });

  describe('attachment bucket', () => {
    it('is private, S3-encrypted, unversioned and retained', () => {
      const [, bucket] = s.attachmentBucket();
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
      ]);
      expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
      expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
    });

    it('denies requests without TLS', () => {
      const [bucketId] = s.attachmentBucket();
      const [, policy] = s.only('AWS::S3::BucketPolicy', (p) => p.Properties.Bucket.Ref === bucketId);
      expect(policy.Properties.Bucket).toEqual({ Ref: bucketId });
      const deny = (policy.Properties.PolicyDocument.Statement as Statement[]).find(
        (st) => st.Effect === 'Deny' && st.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      );
      expect(deny).toBeDefined();
      expect(asArray(deny!.Action)).toEqual(['s3:*']);
      expect(asArray(deny!.Resource).map(flatten).sort()).toEqual([`\${${bucketId}.Arn}`, `\${${bucketId}.Arn}/*`]);
    });

    it('expires abandoned uploads under pending/ and incomplete multipart uploads after a day', () => {
      const [, bucket] = s.attachmentBucket();
      const rules = bucket.Properties.LifecycleConfiguration.Rules as Json[];
      expect(rules).toContainEqual(expect.objectContaining({ Prefix: 'pending/', ExpirationInDays: 1, Status: 'Enabled' }));
      expect(rules).toContainEqual(
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
      );
      // Only pending/ uploads and exports/ documents expire by default: attached files (chats/) live as long as
      // their messages unless messageRetentionDays is set.
      for (const rule of rules.filter((r) => r.ExpirationInDays !== undefined)) expect(['pending/', 'exports/']).toContain(rule.Prefix);
    });

    it('allows browser uploads from the configured origins', () => {
      const [, bucket] = s.attachmentBucket();
      expect(bucket.Properties.CorsConfiguration.CorsRules).toEqual([
        expect.objectContaining({
          AllowedMethods: expect.arrayContaining(['PUT', 'POST', 'GET', 'HEAD']),
          AllowedOrigins: ['*'],
          AllowedHeaders: ['*'],
          ExposedHeaders: ['ETag'],
        }),
      ]);
    });
  });

  describe('IAM least privilege', () => {
    it('gives Health read-only table access and no connection management', () => {
      const [healthId] = s.functionByDescription('GET /health');
      const actions = actionsOf(s.roleOf(healthId).statements);
      expect(actions).toContain('dynamodb:GetItem');
      for (const write of DYNAMODB_WRITE_ACTIONS) expect(actions).not.toContain(write);
      expect(actions.filter((a) => a.startsWith('execute-api:'))).toEqual([]);
      expect(actions.filter((a) => a.startsWith('s3:'))).toEqual([]);
    });

    it.each(allRoutes.map((r) => [r.description, r] as const))('%s gets exactly its route permissions', (description, route) => {
      const [fnId] = s.functionByDescription(description);
      const { statements, managed, inline } = s.roleOf(fnId);
      const actions = actionsOf(statements);
      const has = (p: Permission) => route.permissions.includes(p);
      expect(actions.includes('dynamodb:Query'), 'table:read').toBe(has('table:read'));
      expect(actions.includes('dynamodb:PutItem'), 'table:write').toBe(has('table:write'));
      expect(actions.includes('execute-api:ManageConnections'), 'ws:manage').toBe(has('ws:manage'));
      expect(actions.includes('s3:GetObject*'), 'bucket:read').toBe(has('bucket:read'));
      expect(actions.includes('s3:PutObject'), 'bucket:write').toBe(has('bucket:write'));
      expect(actions.includes('events:PutEvents'), 'events:put').toBe(has('events:put'));
      expect(actions.includes('sqs:SendMessage'), 'queue:send / jobs:send').toBe(has('queue:send') || has('jobs:send'));
      expect(managed).toEqual(['arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
      expect(inline).toEqual([]);
    });

    it('feeds the fan-out worker from a FIFO queue with a dead-letter queue and partial batch responses', () => {
      const worker = s.chatFunctions().find(([, fn]) => fn.Properties.Description === 'SQS FanOut')!;
      const [, mapping] = s.only('AWS::Lambda::EventSourceMapping', (m) => flatten(m.Properties.FunctionName) === flatten({ Ref: worker[0] }));
      const queueId = mapping.Properties.EventSourceArn['Fn::GetAtt'][0] as string;
      const queue = s.ofType('AWS::SQS::Queue').find(([id]) => id === queueId)![1];
      const dlqId = queue.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0] as string;
      expect(queue.Properties).toMatchObject({ FifoQueue: true, FifoThroughputLimit: 'perMessageGroupId', DeduplicationScope: 'messageGroup', SqsManagedSseEnabled: true });
      expect(queue.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 3 });
      expect(mapping.Properties).toMatchObject({ BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'], EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
      // Issue 19: a failed job holds its chat's later events (one FIFO group per chat) for receives × visibility timeout.
      // The visibility timeout covers one run of the worker (Lambda requires ≥ its timeout) plus 30 s, not 6 × the timeout.
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(worker[1].Properties.Timeout);
      expect(queue.Properties.VisibilityTimeout).toBe(worker[1].Properties.Timeout + 30);
      expect(queue.Properties.RedrivePolicy.maxReceiveCount * queue.Properties.VisibilityTimeout, 'worst stall of a chat, s').toBeLessThanOrEqual(5 * 60);
    });

    it('scopes PutEvents to the notification bus, for the routes that send messages only', () => {
      const [busId] = s.only('AWS::Events::EventBus');
      let seen = 0;
      for (const [, policy] of s.ofType('AWS::IAM::Policy')) {
        for (const st of policy.Properties.PolicyDocument.Statement as Statement[]) {
          if (!asArray(st.Action).includes('events:PutEvents')) continue;
          seen++;
          expect(asArray(st.Action)).toEqual(['events:PutEvents']);
          expect(asArray(st.Resource).map(flatten)).toEqual([`\${${busId}.Arn}`]);
        }
      }
      // One statement per role, and functions with the same permission set share a role (lib/function-roles.ts).
      expect(seen).toBe(new Set(allRoutes.filter((r) => r.permissions.includes('events:put')).map((r) => permissionSetKey(r.permissions))).size);
      expect(seen).toBeGreaterThan(0);
    });

    it('scopes ManageConnections to the WebSocket stage @connections paths', () => {
      const expected = ['POST', 'GET', 'DELETE'].map(
        (m) => `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${wsApiId}}/${WEBSOCKET_STAGE_NAME}/${m}/@connections/*`,
      );
      let seen = 0;
      for (const [, policy] of s.ofType('AWS::IAM::Policy')) {
        for (const st of policy.Properties.PolicyDocument.Statement as Statement[]) {
          const actions = asArray(st.Action);
          if (!actions.some((a) => a.startsWith('execute-api:'))) continue;
          seen++;
          expect(actions).toEqual(['execute-api:ManageConnections']);
          expect(asArray(st.Resource).map(flatten).sort()).toEqual([...expected].sort());
        }
      }
      // One statement per role, and functions with the same permission set share a role (lib/function-roles.ts).
      expect(seen).toBe(new Set(allRoutes.filter((r) => r.permissions.includes('ws:manage')).map((r) => permissionSetKey(r.permissions))).size);
    });

    it('never grants Action "*" and never grants DynamoDB on Resource "*"', () => {
      const [tableId] = s.only('AWS::DynamoDB::GlobalTable');
      for (const [policyId, policy] of s.ofType('AWS::IAM::Policy')) {
        for (const st of policy.Properties.PolicyDocument.Statement as Statement[]) {
          const actions = asArray(st.Action);
          expect(actions, policyId).not.toContain('*');
          if (!actions.some((a) => a.startsWith('dynamodb:'))) continue;
          expect(actions, policyId).not.toContain('dynamodb:*');
          for (const resource of asArray(st.Resource).map(flatten)) {
            expect(resource, policyId).not.toBe('*');
            expect(resource.startsWith(`\${${tableId}.Arn}`), `${policyId}: ${resource}`).toBe(true);
          }
        }
      }
    });
  });

  describe('auth (Cognito)', () => {
    it('creates an invitation-only user pool with email sign-in', () => {
      const [, pool] = s.only('AWS::Cognito::UserPool');
      expect(pool.Properties.AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: true });
      expect(pool.Properties.UsernameAttributes).toEqual(['email']);
    });

    it('creates the support and admin groups', () => {
      const [poolId] = s.only('AWS::Cognito::UserPool');
      const groups = s.ofType('AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties);
      expect(groups.map((g) => g.GroupName).sort()).toEqual(['admin', 'support']);
      for (const g of groups) expect(g.UserPoolId).toEqual({ Ref: poolId });
    });

    it('creates a public app client for password and SRP sign-in', () => {
      const [, client] = s.only('AWS::Cognito::UserPoolClient');
      expect(client.Properties.GenerateSecret).toBe(false);
      expect(client.Properties.ExplicitAuthFlows).toEqual(expect.arrayContaining(['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH']));
      expect(client.Properties.AllowedOAuthFlows).toBeUndefined();
    });
  });

  it('outputs the endpoints, the user pool and the storage names', () => {
    // Plus the operator outputs of issue 19 (region, dashboard, issuer, queues, log groups: test/cdk/limits.test.ts).
    expect(Object.keys(s.outputs)).toEqual(
      expect.arrayContaining(['AlarmTopicArn', 'BucketName', 'EventBusName', 'HttpApiUrl', 'TableName', 'UserPoolClientId', 'UserPoolId', 'WebSocketUrl']),
    );
    expect(flatten(s.outputs.WebSocketUrl.Value)).toBe(
      `wss://\${${wsApiId}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/${WEBSOCKET_STAGE_NAME}`,
    );
    expect(flatten(s.outputs.HttpApiUrl.Value)).toBe(`https://\${${httpApiId}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/`);
  });

  it('gives no resource a physical name', () => {
    const nameProperty: Record<string, string> = {
      'AWS::Lambda::Function': 'FunctionName',
      'AWS::DynamoDB::GlobalTable': 'TableName',
      'AWS::S3::Bucket': 'BucketName',
      'AWS::Logs::LogGroup': 'LogGroupName',
      'AWS::IAM::Role': 'RoleName',
      'AWS::Cognito::UserPool': 'UserPoolName',
      'AWS::SNS::Topic': 'TopicName',
      'AWS::CloudWatch::Alarm': 'AlarmName',
      'AWS::CloudWatch::Dashboard': 'DashboardName',
      'AWS::SQS::Queue': 'QueueName',
    };
    for (const [id, r] of Object.entries(s.resources)) {
      const prop = nameProperty[r.Type];
      if (prop) expect(r.Properties?.[prop], `${id}.${prop}`).toBeUndefined();
    }
  });
});

// ---- OIDC variant -----------------------------------------------------------

describe('ChatStack (external OIDC issuer)', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth(OIDC, false);
  }, 120_000);

  it('creates no user pool', () => {
    expect(s.ofType('AWS::Cognito::UserPool')).toHaveLength(0);
    expect(s.ofType('AWS::Cognito::UserPoolClient')).toHaveLength(0);
    expect(s.ofType('AWS::Cognito::UserPoolGroup')).toHaveLength(0);
  });

  it('configures every function for the issuer', () => {
    expect(s.chatFunctions()).toHaveLength(httpRoutes.length + wsRoutes.length + queueRoutes.length + scheduledRoutes.length);
    for (const [id, fn] of s.chatFunctions()) {
      const env = fn.Properties.Environment.Variables;
      expect(env, id).toMatchObject({
        AUTH_MODE: 'oidc',
        OIDC_ISSUER: OIDC.oidcIssuer,
        OIDC_AUDIENCE: OIDC.oidcAudience,
        OIDC_JWKS_URI: OIDC.oidcJwksUri,
      });
      expect(env.COGNITO_USER_POOL_ID, id).toBeUndefined();
      expect(env.COGNITO_CLIENT_ID, id).toBeUndefined();
    }
  });

  it('outputs no user pool ids', () => {
    // The operator outputs (issue 19, test/cdk/limits.test.ts) are there too; no Cognito ids.
    expect(Object.keys(s.outputs).filter((k) => /UserPool/.test(k))).toEqual([]);
    expect(Object.keys(s.outputs)).toEqual(expect.arrayContaining(['AlarmTopicArn', 'BucketName', 'EventBusName', 'HttpApiUrl', 'TableName', 'WebSocketUrl', 'IssuerUrl', 'JwksUrl']));
  });
});

// ---- context ----------------------------------------------------------------

describe('ChatStack context', () => {
  it('applies origins, throttling and deletion protection from context', () => {
    const s = synth(
      {
        corsOrigins: 'https://app.example.com, https://admin.example.com',
        httpRateLimit: '50',
        httpBurstLimit: 80,
        wsRateLimit: 20,
        wsBurstLimit: '40',
        deletionProtection: 'false',
      },
      false,
    );
    const origins = ['https://app.example.com', 'https://admin.example.com'];
    const [httpApiId, api] = s.only('AWS::ApiGatewayV2::Api', (r) => r.Properties.ProtocolType === 'HTTP');
    expect(api.Properties.CorsConfiguration.AllowOrigins).toEqual(origins);
    expect(s.attachmentBucket()[1].Properties.CorsConfiguration.CorsRules[0].AllowedOrigins).toEqual(origins);
    const stages = s.ofType('AWS::ApiGatewayV2::Stage').map(([, st]) => st.Properties);
    expect(stages.find((st) => st.ApiId.Ref === httpApiId)!.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 80 });
    expect(stages.find((st) => st.ApiId.Ref !== httpApiId)!.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 });
    expect(s.only('AWS::DynamoDB::GlobalTable')[1].Properties.Replicas[0].DeletionProtectionEnabled).toBe(false);
  }, 120_000);

  it('turns tracing off: no active tracing, no X-Ray grants, and the functions told not to load the tracer', () => {
    const s = synth({ tracing: 'false' }, false);
    expect(s.chatFunctions()).toHaveLength(httpRoutes.length + wsRoutes.length + queueRoutes.length + scheduledRoutes.length);
    for (const [id, fn] of s.chatFunctions()) {
      expect(fn.Properties.TracingConfig, id).toBeUndefined();
      expect(fn.Properties.Environment.Variables.POWERTOOLS_TRACE_ENABLED, id).toBe('false');
    }
    const actions = s.ofType('AWS::IAM::Policy').flatMap(([, p]) => actionsOf(p.Properties.PolicyDocument.Statement));
    expect(actions.filter((a) => String(a).startsWith('xray:'))).toEqual([]);
    expect(() => synth({ tracing: 'sometimes' }, false)).toThrow(/tracing must be true or false/);
  }, 120_000);

  it('rejects a partial or non-https OIDC configuration', () => {
    const make = (context: Record<string, unknown>) => () => new ChatStack(newApp(context, false), 'Bad');
    expect(make({ oidcIssuer: OIDC.oidcIssuer })).toThrow(/must be given together/);
    expect(make({ oidcIssuer: OIDC.oidcIssuer, oidcAudience: 'x' })).toThrow(/must be given together/);
    expect(make({ ...OIDC, oidcJwksUri: 'http://issuer.example.com/jwks.json' })).toThrow(/https/);
    expect(make({ httpRateLimit: 'fast' })).toThrow(/positive number/);
  }, 120_000);
});
