/**
 * CloudFormation template helpers shared by the CDK assertion tests.
 */
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { Stack } from 'aws-cdk-lib';
import { expect } from 'vitest';

/** Raw CloudFormation JSON. */
export type Json = any;

export interface Resource {
  Type: string;
  Properties?: Json;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/** Renders `Ref`/`Fn::GetAtt`/`Fn::Join` as a string with `${LogicalId}` placeholders. */
export function flatten(value: Json): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object') {
    if ('Ref' in value) return `\${${value.Ref}}`;
    if ('Fn::GetAtt' in value) return `\${${value['Fn::GetAtt'].join('.')}}`;
    if ('Fn::Join' in value) {
      const [separator, parts] = value['Fn::Join'] as [string, Json[]];
      return parts.map(flatten).join(separator);
    }
  }
  throw new Error(`Cannot flatten ${JSON.stringify(value)}`);
}

export const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Json;
}

export class Synth {
  readonly resources: Record<string, Resource>;
  readonly outputs: Record<string, Json>;

  constructor(
    readonly template: Template,
    /** The cloud assembly directory, for `assetDir` (only when the app was synthesized with bundling). */
    readonly assemblyDir = '',
  ) {
    const json = template.toJSON();
    this.resources = json.Resources;
    this.outputs = json.Outputs ?? {};
  }

  static of(stack: Stack): Synth {
    return new Synth(Template.fromStack(stack));
  }

  ofType(type: string): [string, Resource][] {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type);
  }

  only(type: string, filter: (r: Resource) => boolean = () => true): [string, Resource] {
    const found = this.ofType(type).filter(([, r]) => filter(r));
    expect(found, `exactly one ${type}`).toHaveLength(1);
    return found[0]!;
  }

  /** The attachment bucket (the other bucket holds its server access logs). */
  attachmentBucket(): [string, Resource] {
    return this.only('AWS::S3::Bucket', (r) => r.Properties?.CorsConfiguration !== undefined);
  }

  /** Our functions: CDK's own helpers (custom resources, log retention) use other runtimes and x86. */
  chatFunctions(): [string, Resource][] {
    return this.ofType('AWS::Lambda::Function').filter(
      ([, r]) => r.Properties.Runtime === 'nodejs22.x' && (r.Properties.Architectures ?? []).includes('arm64'),
    );
  }

  alarms(): [string, Resource][] {
    return this.ofType('AWS::CloudWatch::Alarm');
  }

  /** A route's function, found by its Description (`GET /v1/me`, `WebSocket $connect`). */
  functionByDescription(description: string): [string, Resource] {
    return this.only('AWS::Lambda::Function', (r) => r.Properties.Description === description);
  }

  /** Every statement of every policy attached to the function's role, plus its managed policies. */
  roleOf(functionId: string): { statements: Statement[]; managed: string[]; inline: Json[] } {
    const fn = this.resources[functionId]!;
    const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
    const role = this.resources[roleId]!;
    const statements = this.ofType('AWS::IAM::Policy')
      .filter(([, p]) => asArray(p.Properties.Roles).some((r: Json) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
    return {
      statements,
      managed: asArray(role.Properties.ManagedPolicyArns).map(flatten),
      inline: asArray(role.Properties.Policies),
    };
  }

  /** The bundled code of a function in the cloud assembly. */
  assetDir(fn: Resource): string {
    const hash = /^(\w+)\.zip$/.exec(fn.Properties.Code.S3Key)?.[1];
    expect(hash, 'asset hash').toBeTruthy();
    return path.join(this.assemblyDir, `asset.${hash}`);
  }

  /** The logical id of the Lambda function an API Gateway route invokes. */
  routeTarget(routeId: string): { integration: Resource; functionId: string } {
    const target = flatten(this.resources[routeId]!.Properties.Target);
    const match = /^integrations\/\$\{(\w+)\}$/.exec(target);
    expect(match, `route target ${target}`).not.toBeNull();
    const integration = this.resources[match![1]!]!;
    expect(integration.Type).toBe('AWS::ApiGatewayV2::Integration');
    expect(integration.Properties.IntegrationType).toBe('AWS_PROXY');
    const fnMatch = /\$\{(\w+)\.Arn\}/.exec(flatten(integration.Properties.IntegrationUri));
    expect(fnMatch, 'integration URI names a function').not.toBeNull();
    const functionId = fnMatch![1]!;
    expect(this.resources[functionId]?.Type).toBe('AWS::Lambda::Function');
    return { integration, functionId };
  }
}

