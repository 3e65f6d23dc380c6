/**
 * Template validation against the CloudFormation resource specification CDK
 * itself is generated from (`@aws-cdk/aws-service-spec`, issue 19): a `cdk
 * synth` that succeeds can still fail `cdk deploy` on a misspelled property
 * set through an override, a missing required property, a wrong type or
 * value, or a reference to a resource that is not in the template. No
 * template linter is available from Debian here, so this is a small one.
 *
 * `npx tsx scripts/validate-template.ts` synthesizes the stack for every
 * context variant of `lib/variants.ts` (bundling skipped: assets only change
 * hashes), with CDK's own template rules as errors
 * (`@aws-cdk/core:validateAgainstDefaultRules`: patterns, dependency cycles),
 * runs `validateTemplate` on each and exits 1 on any finding. `.ci/run` runs
 * it after `cdk synth`. `npx tsx scripts/validate-template.ts file.json…`
 * checks given templates instead (e.g. `cdk.out/ServerlessChat-prod.template.json`).
 *
 * What it checks, per resource (`Finding.kind`):
 * - `unknown-type`: a type not in the spec (custom resources `Custom::*` and `AWS::CDK::Metadata` excepted);
 * - `unknown-property`: a property (at any depth) the type does not define, with the closest name as a hint;
 * - `missing-property`: a required property absent;
 * - `wrong-type`: a value of the wrong JSON type (CloudFormation's own coercions allowed: `"10"` for an
 *   integer, `"true"` for a boolean, numbers for strings);
 * - `bad-value`: a string outside the spec's allowed values;
 * - `dangling-ref`: `Ref`, `Fn::GetAtt` (also the attribute name), `Fn::Sub` `${…}` or `DependsOn`
 *   naming nothing in the template (nor a parameter or pseudo parameter), in resources and outputs.
 * Values that are intrinsic functions are not type-checked (their result is known only at deploy time).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';

export type FindingKind = 'unknown-type' | 'unknown-property' | 'missing-property' | 'wrong-type' | 'bad-value' | 'dangling-ref';

export interface Finding {
  readonly kind: FindingKind;
  /** Where: `Resources.<LogicalId>.Properties.<path>`, `Outputs.<Id>.Value`, … */
  readonly path: string;
  readonly message: string;
}

/** The spec database's shapes this checker reads (`@aws-cdk/service-spec-types`, simplified). */
type SpecType =
  | { type: 'string'; allowedValues?: string[] }
  | { type: 'integer' | 'number' | 'boolean' | 'json' | 'tag' | 'date-time' | 'null' }
  | { type: 'array' | 'map'; element: SpecType }
  | { type: 'union'; types: SpecType[] }
  | { type: 'ref'; reference: { $ref: string } };
interface SpecProperty {
  type: SpecType;
  required?: boolean;
}
interface SpecResource {
  properties: Record<string, SpecProperty>;
  attributes: Record<string, unknown>;
}
interface SpecTypeDefinition {
  name: string;
  properties: Record<string, SpecProperty>;
}

/** The spec, indexed by CloudFormation type; loaded once (~1 s). */
export class ResourceSpec {
  private readonly db = loadAwsServiceSpecSync();

  resource(cfnType: string): SpecResource | undefined {
    return this.db.lookup('resource', 'cloudFormationType', 'equals', cfnType)[0] as unknown as SpecResource | undefined;
  }

  typeDefinition(id: string): SpecTypeDefinition {
    return this.db.get('typeDefinition', id) as unknown as SpecTypeDefinition;
  }
}

const PSEUDO_PARAMETERS = new Set(['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix']);

type Json = unknown;
type Template = { Resources?: Record<string, { Type: string; Properties?: Record<string, Json>; DependsOn?: string | string[] }>; Outputs?: Record<string, Json>; Parameters?: Record<string, Json>; Conditions?: Record<string, Json> };

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** `{Ref: …}` or `{"Fn::…": …}`: a value known only at deploy time. */
const isIntrinsic = (v: Json): boolean => isObject(v) && Object.keys(v).length === 1 && (Object.keys(v)[0] === 'Ref' || Object.keys(v)[0]!.startsWith('Fn::') || Object.keys(v)[0] === 'Condition');

/**
 * Every finding for one template (an empty list: valid as far as the spec tells).
 * @param template a synthesized CloudFormation template (JSON)
 */
export function validateTemplate(template: Template, spec: ResourceSpec): Finding[] {
  const findings: Finding[] = [];
  const resources = template.Resources ?? {};
  const names = new Set([...Object.keys(resources), ...Object.keys(template.Parameters ?? {})]);
  const report = (kind: FindingKind, where: string, message: string) => findings.push({ kind, path: where, message });

  for (const [logicalId, resource] of Object.entries(resources)) {
    const where = `Resources.${logicalId}`;
    for (const dep of resource.DependsOn === undefined ? [] : Array.isArray(resource.DependsOn) ? resource.DependsOn : [resource.DependsOn]) {
      if (!(dep in resources)) report('dangling-ref', `${where}.DependsOn`, `DependsOn ${dep}: no such resource`);
    }
    checkReferences(resource.Properties ?? {}, `${where}.Properties`, resources, names, spec, report);
    if (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CDK::Metadata' || resource.Type === 'AWS::CloudFormation::CustomResource') continue;
    const type = spec.resource(resource.Type);
    if (!type) {
      report('unknown-type', `${where}.Type`, `unknown resource type ${resource.Type}`);
      continue;
    }
    checkProperties(resource.Properties ?? {}, type.properties, `${where}.Properties`, spec, report);
  }
  for (const [id, output] of Object.entries(template.Outputs ?? {})) checkReferences(output, `Outputs.${id}`, resources, names, spec, report);
  return findings;
}

function checkProperties(value: Json, properties: Record<string, SpecProperty>, where: string, spec: ResourceSpec, report: (k: FindingKind, w: string, m: string) => void): void {
  if (isIntrinsic(value)) return;
  if (!isObject(value)) {
    report('wrong-type', where, `expected an object, got ${describe(value)}`);
    return;
  }
  for (const [name, v] of Object.entries(value)) {
    const property = properties[name];
    if (!property) {
      const hint = closest(name, Object.keys(properties));
      report('unknown-property', `${where}.${name}`, `unknown property ${name}${hint ? ` (did you mean ${hint}?)` : ''}`);
      continue;
    }
    checkValue(v, property.type, `${where}.${name}`, spec, report);
  }
  for (const [name, property] of Object.entries(properties)) {
    if (property.required && !(name in value)) report('missing-property', `${where}.${name}`, `required property ${name} is missing`);
  }
}

function checkValue(value: Json, type: SpecType, where: string, spec: ResourceSpec, report: (k: FindingKind, w: string, m: string) => void): void {
  if (isIntrinsic(value)) return;
  switch (type.type) {
    case 'json':
    case 'null':
      return;
    case 'string':
    case 'date-time':
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return void report('wrong-type', where, `expected a string, got ${describe(value)}`);
      if (type.type === 'string' && type.allowedValues && !type.allowedValues.includes(String(value))) {
        report('bad-value', where, `${JSON.stringify(value)} is not one of ${type.allowedValues.join(', ')}`);
      }
      return;
    case 'integer':
    case 'number': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n) || (type.type === 'integer' && !Number.isInteger(n))) report('wrong-type', where, `expected ${type.type === 'integer' ? 'an integer' : 'a number'}, got ${describe(value)}`);
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') report('wrong-type', where, `expected a boolean, got ${describe(value)}`);
      return;
    case 'tag':
      if (!isObject(value) || !('Key' in value) || !('Value' in value)) report('wrong-type', where, `expected a tag {Key, Value}, got ${describe(value)}`);
      return;
    case 'array':
      if (!Array.isArray(value)) return void report('wrong-type', where, `expected a list, got ${describe(value)}`);
      value.forEach((item, i) => checkValue(item, type.element, `${where}.${i}`, spec, report));
      return;
    case 'map':
      if (!isObject(value)) return void report('wrong-type', where, `expected a map, got ${describe(value)}`);
      for (const [k, item] of Object.entries(value)) checkValue(item, type.element, `${where}.${k}`, spec, report);
      return;
    case 'ref':
      checkProperties(value, spec.typeDefinition(type.reference.$ref).properties, where, spec, report);
      return;
    case 'union': {
      // Valid if any member accepts it; otherwise report what the closest member (the first of the value's shape) says.
      const attempts = type.types.map((member) => {
        const found: Finding[] = [];
        checkValue(value, member, where, spec, (kind, w, message) => found.push({ kind, path: w, message }));
        return found;
      });
      if (attempts.some((a) => a.length === 0)) return;
      const best = attempts.reduce((a, b) => (b.length < a.length ? b : a));
      for (const f of best) report(f.kind, f.path, f.message);
      return;
    }
    default:
      return;
  }
}

/** `Ref`, `Fn::GetAtt`, `Fn::Sub` references anywhere in a value. */
function checkReferences(
  value: Json,
  where: string,
  resources: NonNullable<Template['Resources']>,
  names: Set<string>,
  spec: ResourceSpec,
  report: (k: FindingKind, w: string, m: string) => void,
): void {
  if (Array.isArray(value)) return value.forEach((v, i) => checkReferences(v, `${where}.${i}`, resources, names, spec, report));
  if (!isObject(value)) return;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'Ref' && typeof v === 'string') {
      if (!names.has(v) && !PSEUDO_PARAMETERS.has(v)) report('dangling-ref', where, `Ref ${v}: no such resource or parameter`);
    } else if (key === 'Fn::GetAtt') {
      const [target, attribute] = Array.isArray(v) ? v : typeof v === 'string' ? [v.slice(0, v.indexOf('.')), v.slice(v.indexOf('.') + 1)] : [];
      if (typeof target !== 'string') continue;
      const resource = resources[target];
      if (!resource) {
        report('dangling-ref', where, `Fn::GetAtt ${target}.${String(attribute)}: no such resource`);
      } else if (typeof attribute === 'string' && !resource.Type.startsWith('Custom::') && resource.Type !== 'AWS::CloudFormation::CustomResource') {
        const type = spec.resource(resource.Type);
        if (type && !(attribute in type.attributes)) {
          report('dangling-ref', where, `Fn::GetAtt ${target}.${attribute}: ${resource.Type} has no attribute ${attribute}${closest(attribute, Object.keys(type.attributes)) ? ` (did you mean ${closest(attribute, Object.keys(type.attributes))}?)` : ''}`);
        }
      }
    } else if (key === 'Fn::Sub') {
      const [text, variables] = Array.isArray(v) ? [v[0], v[1] ?? {}] : [v, {}];
      if (typeof text === 'string') {
        for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = m[1]!.split('.')[0]!;
          if (!names.has(name) && !PSEUDO_PARAMETERS.has(m[1]!) && !(isObject(variables) && name in variables)) report('dangling-ref', where, `Fn::Sub \${${m[1]}}: no such resource, parameter or variable`);
        }
      }
    }
    checkReferences(v, `${where}.${key}`, resources, names, spec, report);
  }
}

function describe(value: Json): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return isObject(value) ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** The known name nearest to a misspelled one (edit distance ≤ 3, case-insensitive), if any. */
function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const candidate of known) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** Synthesizes every context variant (`lib/variants.ts`) and returns its template. */
async function synthesizeVariants(): Promise<[string, Template][]> {
  const { App } = await import('aws-cdk-lib');
  const { ChatStack } = await import('../lib/chat-stack');
  const { stackNameFor } = await import('../lib/context');
  const { CONTEXT_VARIANTS } = await import('../lib/variants');
  const out: [string, Template][] = [];
  const root = mkdtempSync(path.join(tmpdir(), 'chat-validate-'));
  try {
    for (const [name, context] of Object.entries(CONTEXT_VARIANTS)) {
      const app = new App({
        outdir: mkdtempSync(path.join(root, `${name}-`)),
        // CDK's own template rules (patterns, dependency cycles) fail the synth instead of warning.
        context: { ...context, 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': true },
      });
      const stack = new ChatStack(app, stackNameFor(context.stage ?? 'prod'));
      const assembly = app.synth();
      out.push([name, assembly.getStackByName(stack.stackName).template as Template]);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return out;
}

async function main(files: string[]): Promise<number> {
  const spec = new ResourceSpec();
  const templates: [string, Template][] = files.length > 0 ? files.map((f) => [f, JSON.parse(readFileSync(f, 'utf8')) as Template]) : await synthesizeVariants();
  let total = 0;
  for (const [name, template] of templates) {
    const findings = validateTemplate(template, spec);
    total += findings.length;
    const count = Object.keys(template.Resources ?? {}).length;
    console.log(`${findings.length === 0 ? 'ok  ' : 'FAIL'} ${name}: ${count} resources, ${findings.length} findings`);
    for (const f of findings) console.log(`  ${f.kind} ${f.path}: ${f.message}`);
  }
  return total === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
